"""The practicum's photos, as numpy arrays (classical lessons) or a ``tf.data.Dataset`` (Keras).

Labels are fixed: cats = 0, dogs = 1. Photos come from, in order:

1. ``PRACTICUM_DATA_DIR``, a folder in the ``cats_and_dogs_filtered`` layout;
2. the local cache (``data/cache/cats_and_dogs_filtered``);
3. a download of the official archive into that cache (see :mod:`practicum.download`).

A folder is checked (layout and photo counts) the first time it is opened in a process. Decoded
arrays are cached on disk, keyed by the files they came from, so the second call is a file read.
"""

import contextlib
import hashlib
import json
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from practicum import paths
from practicum.download import extract_archive, fetch_archive
from practicum.errors import CourseError
from practicum.images import IMAGE_SUFFIXES, DecodeReport, decode_images
from practicum.registry import DatasetSpec, dataset_spec

CLASS_NAMES = ("cat", "dog")
SPLITS = ("train", "validation")
_ARRAY_CACHE_VERSION = 2  # 2: photos turned upright by their EXIF orientation
_checked_roots: set[Path] = set()


class DataError(CourseError, RuntimeError):
    """The photos are missing or unusable; the message names the folder and the fix."""


class PhotoCountWarning(UserWarning):
    """A folder holds a different number of photos than the dataset registry expects."""


@dataclass
class Photos:
    images: np.ndarray  # (N, size, size, 3) uint8 RGB
    labels: np.ndarray  # (N,) int64, 0 = cat, 1 = dog
    files: list[Path]

    def __len__(self) -> int:
        return len(self.labels)


def dataset_root(spec: DatasetSpec | None = None) -> Path:
    """The folder holding ``train/`` and ``validation/``, downloading the dataset if needed."""
    spec = spec or dataset_spec()
    root = paths.data_dir()
    if root is None:
        root = paths.cache_dir() / spec.folder
        if not root.is_dir():
            archive = fetch_archive(spec, paths.cache_dir() / "downloads")
            extract_archive(archive, spec, root)
    if root not in _checked_roots:
        check_layout(root, spec)
        _checked_roots.add(root)
    return root


def check_layout(root: Path, spec: DatasetSpec) -> None:
    """Raise DataError if a split or class folder is missing; warn if photo counts differ."""
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; point PRACTICUM_DATA_DIR at the unzipped {spec.folder} folder, or unset it to download")
    for split, counts in spec.splits.items():
        for class_name, expected in counts.items():
            folder = root / split / class_name
            if not folder.is_dir():
                raise DataError(
                    f"{folder}: missing; the dataset needs {'/'.join(spec.splits)} each with {'/'.join(spec.classes)} "
                    f"(delete {root} to download it again, or fix PRACTICUM_DATA_DIR)"
                )
            found = len(_image_files(folder))
            if found != expected:
                warnings.warn(f"{folder}: {found} photos, the registry expects {expected}", PhotoCountWarning, stacklevel=2)


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def list_images(split: str = "train", folder: Path | str | None = None) -> tuple[list[Path], np.ndarray]:
    """File paths and labels of one split, or of ``folder`` (a holdout with ``cats/`` and ``dogs/``)."""
    spec = dataset_spec()
    if folder is None:
        if split not in spec.splits:
            raise DataError(f"unknown split {split!r}; use one of {', '.join(spec.splits)}")
        base = dataset_root(spec) / split
    else:
        base = Path(folder).expanduser().resolve()
    files, labels = [], []
    for label, class_name in enumerate(spec.classes):
        class_dir = base / class_name
        if not class_dir.is_dir():
            raise DataError(f"{class_dir}: missing; a photo folder needs {' and '.join(c + '/' for c in spec.classes)} subfolders")
        found = _image_files(class_dir)
        if not found:  # a one-class split would train, or score, a classifier on a single class
            raise DataError(f"{class_dir}: no photos; add .jpg files there or point to another folder")
        files += found
        labels += [label] * len(found)
    return files, np.array(labels, dtype=np.int64)


def _subset(labels: np.ndarray, subset: int | None, seed: int) -> np.ndarray:
    """Indices of a class-balanced random subset (all indices when subset is None), in file order."""
    if subset is None or subset >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(1, subset // len(classes))
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


def load_photos(split: str = "train", image_size: int = 64, subset: int | None = None, seed: int = 0,
                folder: Path | str | None = None) -> Photos:
    """Decode one split (or a holdout ``folder``) at ``image_size`` px, optionally a balanced subset."""
    files, labels = list_images(split, folder)
    keep = _subset(labels, subset, seed)
    files, labels = [files[i] for i in keep], labels[keep]
    base = files[0].parent.parent
    cache = _array_cache_path(files, image_size)
    report = DecodeReport()
    cached = _read_cache(cache, files)
    shared = paths.shared_cache_dir()
    if cached is None and shared is not None:  # only read: decoded photos lent by the grader
        cached = _read_cache(shared / cache.relative_to(paths.cache_dir()), files)
    if cached is not None:
        images, kept, report.skipped = cached
    else:
        images, kept = decode_images(files, image_size, report)
        # the skipped files are those not kept, in file order: only their reasons need storing
        _save_atomically(cache, images=images, kept=np.array(kept, dtype=np.int64),
                         reasons=np.array([reason for _, reason in report.skipped], dtype=str))
    report.warn(base)
    if not len(kept):
        raise DataError(f"{base}: none of {len(files)} files could be decoded as an image; replace them")
    return Photos(images, labels[kept], [files[i] for i in kept])


def load_arrays(split: str = "train", image_size: int = 64, subset: int | None = None, seed: int = 0,
                folder: Path | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: uint8 ``(N, image_size, image_size, 3)`` and int64 ``(N,)``."""
    photos = load_photos(split, image_size, subset, seed, folder)
    return photos.images, photos.labels


def load_dataset(split: str = "train", image_size: int = 150, batch_size: int = 32, subset: int | None = None,
                 seed: int = 0, shuffle: bool | None = None, folder: Path | str | None = None):
    """A batched, cached, prefetched ``tf.data.Dataset`` of (float32 RGB 0–255 images, int labels).

    Training data is shuffled (seeded, anew each epoch) unless ``shuffle=False``; every other split
    keeps file order so that predictions line up with :func:`list_images`.
    """
    images, labels = load_arrays(split, image_size, subset, seed, folder)  # data problems surface before TF loads
    import tensorflow as tf

    if shuffle is None:
        shuffle = split == "train" and folder is None
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32))).cache()
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _array_cache_path(files: list[Path], image_size: int) -> Path:
    """Cache file named by a hash of the files (path, size, mtime) and the decoding settings."""
    digest = hashlib.sha256(json.dumps([_ARRAY_CACHE_VERSION, image_size]).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return array_cache_folder(files[0].parent.parent) / f"{digest.hexdigest()[:24]}.npz"


def array_cache_folder(base: Path, cache: Path | None = None) -> Path:
    """Where the decoded photos of one split folder (or holdout folder) ``base`` are cached: a
    folder per photo folder, so that the grader can lend a kernel the training photos' arrays
    without the instructor's."""
    return (cache or paths.cache_dir()) / "arrays" / hashlib.sha256(str(base).encode()).hexdigest()[:16]


def _read_cache(cache: Path, files: list[Path]):
    """``(images, kept, skipped)`` stored for ``files``, or None when not cached or unreadable."""
    if not cache.exists():
        return None
    try:
        with np.load(cache) as stored:
            kept, reasons = stored["kept"], stored["reasons"]
            skipped = sorted(set(range(len(files))) - set(kept.tolist()))
            if len(skipped) != len(reasons):
                return None  # not written by this version: decode again
            return stored["images"], kept, [(files[i], str(reason)) for i, reason in zip(skipped, reasons)]
    except (OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        return None  # a damaged cache file is decoded again and overwritten, never a learner's problem


def _save_atomically(target: Path, **arrays: np.ndarray) -> None:
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.npz")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez(temporary, **arrays)
        temporary.replace(target)
    except OSError as error:  # a read-only or full cache costs speed, never the lesson
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        warnings.warn(f"{target.parent}: could not cache decoded photos ({error}); they will be decoded again next time", stacklevel=3)
