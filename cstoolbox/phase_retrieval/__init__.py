"""Phase retrieval from local measurements: BlockPR, windowed Fourier / ptychography, baselines."""
from ._masks import exponential_masks, windowed_fourier_masks, linear_masks, random_masks, RandomFlattening
from ._measure import local_measurements, add_intensity_noise
from ._lifted import lifted_condition_number, lifted_solve
from ._sync import PeriodicBandedCholesky, smallest_eigenpair, angular_synchronization, estimate_magnitudes
from ._blockpr import blockpr

__all__ = [
    "exponential_masks", "windowed_fourier_masks", "linear_masks", "random_masks", "RandomFlattening",
    "local_measurements", "add_intensity_noise", "lifted_condition_number", "lifted_solve",
    "PeriodicBandedCholesky", "smallest_eigenpair", "angular_synchronization", "estimate_magnitudes",
    "blockpr",
]
from ._baselines import wirtinger_flow, error_reduction, hio, phaselift
from ._ptychography import exponential_probe, scan_positions, ptychography_measurements, ptychography_blockpr

__all__ += ["wirtinger_flow", "error_reduction", "hio", "phaselift", "exponential_probe", "scan_positions",
            "ptychography_measurements", "ptychography_blockpr"]
