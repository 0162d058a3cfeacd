"""Progress bars (tqdm.auto): silent in library calls unless asked, on in demos and the CLI."""
from tqdm.auto import tqdm

__all__ = ["progress"]


def progress(iterable=None, enabled=False, **kwargs):
    """Wrap ``iterable`` in a tqdm bar when ``enabled`` (else a disabled bar, same interface)."""
    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, disable=not enabled, **kwargs)
