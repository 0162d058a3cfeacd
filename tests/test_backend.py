import importlib
import subprocess
import sys

import numpy as np
import pytest

from cstoolbox import backend
from cstoolbox.backend import asnumpy, check_random_state, get_array_module, to_device


def test_numpy_dispatch():
    x = np.arange(3.0)
    assert get_array_module(x) is np
    assert get_array_module(x, None, 3) is np
    assert asnumpy(x) is x
    assert isinstance(to_device([1, 2], x), np.ndarray)


@pytest.mark.parametrize("seed", [0, 7, np.int64(3)])
def test_check_random_state_int_reproducible(seed):
    a = check_random_state(seed).standard_normal(4)
    b = check_random_state(seed).standard_normal(4)
    np.testing.assert_array_equal(a, b)


def test_check_random_state_generator_passthrough_and_legacy():
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    assert isinstance(check_random_state(None), np.random.Generator)


@pytest.mark.parametrize("bad", [1.5, "0", [1], True, np.bool_(False)])  # a bool is not a seed
def test_check_random_state_rejects(bad):
    with pytest.raises(TypeError, match="random_state"):
        check_random_state(bad)


def test_check_random_state_negative():
    with pytest.raises(ValueError, match="random_state"):
        check_random_state(-1)


def test_disable_cupy_env_and_lazy_import():
    code = ("import sys, cstoolbox.backend as b, numpy as np; "
            "assert b.CUPY_DISABLED and not b.cupy_available(); "
            "assert b.get_array_module(np.ones(2)) is np; "
            "assert 'cupy' not in sys.modules; print('ok')")
    env = {"CSTOOLBOX_DISABLE_CUPY": "1", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_import_is_lazy():
    code = ("import sys, cstoolbox; assert 'cstoolbox.operators' not in sys.modules; "
            "cstoolbox.operators; assert 'cstoolbox.operators' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_unknown_attribute():
    cstoolbox = importlib.import_module("cstoolbox")
    with pytest.raises(AttributeError):
        cstoolbox.no_such_module


@pytest.mark.gpu
def test_cupy_roundtrip():
    import cupy
    x = np.arange(5.0)
    y = to_device(x, cupy.zeros(1))
    assert get_array_module(y) is cupy
    np.testing.assert_array_equal(asnumpy(y), x)
