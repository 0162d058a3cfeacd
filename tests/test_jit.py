"""The numba decorator: cached by default, uncached fallback when no cache locator is usable."""
import numba
import numpy as np
import pytest

from cstoolbox import _jit


def test_njit_caches_by_default(monkeypatch):
    seen = {}
    real = numba.njit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(_jit.numba, "njit", spy)

    @_jit.njit
    def f(x):
        return x + 1

    assert seen["cache"] is True
    assert f(1) == 2


def test_njit_falls_back_when_cache_unavailable(monkeypatch):
    real = numba.njit

    def no_cache(*args, **kwargs):
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function 'g': no locator available for file '/ro/x.py'")
        return real(*args, **kwargs)

    monkeypatch.setattr(_jit.numba, "njit", no_cache)
    with pytest.warns(RuntimeWarning, match="numba cache unavailable"):
        @_jit.njit(parallel=False)
        def g(x):
            return x * 2

    np.testing.assert_array_equal(g(np.arange(3)), [0, 2, 4])


def test_njit_other_errors_propagate(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something else")

    monkeypatch.setattr(_jit.numba, "njit", broken)
    with pytest.raises(RuntimeError):
        _jit.njit(cache=False)(lambda x: x)


def test_njit_unrelated_runtime_error_with_cache_propagates(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("LLVM exploded")

    monkeypatch.setattr(_jit.numba, "njit", broken)
    with pytest.raises(RuntimeError, match="LLVM exploded"):
        _jit.njit(lambda x: x)
