"""The main demo and the command line."""
import json
import subprocess
import sys

import numpy as np
import pytest

from cstoolbox.__main__ import main as cli_main
from cstoolbox.demos import audio_quantization, get_demo, list_demos


def test_interpolation_frame_interpolates():
    Phi = audio_quantization.interpolation_frame(16, 4)
    assert Phi.shape == (64, 16)
    np.testing.assert_allclose(Phi[::4], np.eye(16), atol=1e-12)  # (Phi x)[R j] = x[j]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("audio")
    return audio_quantization.run(quick=True, out=out, show_progress=False), out


def test_audio_demo_outputs_and_ordering(quick_run):
    result, out = quick_run
    for name in ("snr_table.md", "results.json", "audio_quantization.png", "one_bit_reconstruction.wav",
                 "original_excerpt.wav"):
        assert (out / name).stat().st_size > 0, name
    snr = json.loads((out / "results.json").read_text())["snr_db"]
    best = {k: max(v.values()) for k, v in snr.items()}
    one_bit = {k.split(" / ")[1]: v for k, v in best.items() if k.startswith("1 bit")}
    msq = one_bit.pop("MSQ")
    sd1 = one_bit.pop("ΣΔ r=1")
    sd2 = next(v for k, v in one_bit.items() if k.startswith("ΣΔ r=2"))
    beta = next(v for k, v in one_bit.items() if k.startswith("beta"))
    # noise shaping beats MSQ, second order beats first, beta (exponential) beats ΣΔ at this R
    assert msq < 0 < sd1 < sd2 < beta
    assert sd1 > 8 and sd2 > 20 and beta > 35
    # more bits help every shaped scheme
    two = {k.split(" / ")[1]: v for k, v in best.items() if k.startswith("2 bit")}
    assert two["ΣΔ r=1"] > sd1


def test_cli_list_and_errors(capsys):
    assert cli_main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "audio_quantization" in listed
    assert cli_main(["demo", "no_such_demo"]) == 2
    assert "unknown demo" in capsys.readouterr().err
    assert cli_main(["frobnicate"]) == 2
    assert cli_main([]) == 0
    assert cli_main(["version"]) == 0


def test_every_demo_has_description_and_main():
    demos = list_demos()
    assert "audio_quantization" in demos
    for name in demos:
        module = get_demo(name)
        assert callable(module.main) and module.DESCRIPTION


def test_python_m_cstoolbox_runs():
    out = subprocess.run([sys.executable, "-m", "cstoolbox", "list"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "audio_quantization" in out.stdout
