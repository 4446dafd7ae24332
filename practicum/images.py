"""Decode photos robustly: grayscale, CMYK, palette and PNG-named-.jpg files become RGB, a phone's
photo is turned upright by its EXIF orientation; files that cannot be decoded at all are skipped and
reported once, by name, instead of crashing a lesson."""

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}


class BadImagesWarning(UserWarning):
    """Some files could not be decoded and were left out."""


@dataclass
class DecodeReport:
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def warn(self, where: Path) -> None:
        if not self.skipped:
            return
        names = ", ".join(f"{path.name} ({reason})" for path, reason in self.skipped[:10])
        more = f" and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else ""
        warnings.warn(
            f"{where}: skipped {len(self.skipped)} file(s) that are not readable images: {names}{more}. "
            "Replace or delete them to use them.",
            BadImagesWarning,
            stacklevel=3,
        )


def read_rgb(path: Path) -> Image.Image:
    """Open one photo as RGB, upright, whatever its mode or real format; raises ValueError when impossible.

    A phone stores a portrait photo as landscape pixels plus an EXIF tag saying how to turn them:
    ``ImageOps.exif_transpose`` applies it, as every photo viewer does."""
    try:
        with Image.open(path) as image:
            image.load()  # decode fully now, so that a truncated file fails here and not later
            return ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # DecompressionBombError: a damaged header that claims a gigantic image
        reason = str(error).replace(str(path), Path(path).name)  # the warning names the file once, briefly
        raise ValueError(f"{type(error).__name__}: {reason}") from error


def resize(image: Image.Image, image_size: int) -> np.ndarray:
    """``image`` squeezed to ``image_size``² pixels as every photo of the course is: PIL's bilinear filter, which
    averages all the pixels it drops (a 12-megapixel photo becomes a small one without aliasing)."""
    return np.asarray(image.resize((image_size, image_size), Image.Resampling.BILINEAR), dtype=np.uint8)


def load_photo(path: Path | str, image_size: int) -> np.ndarray:
    """A photo of your own, as the course's models were trained to see photos: upright, RGB, resized like
    the training photos to ``image_size``², as float32 values 0–255 (shape ``(image_size, image_size, 3)``).

    A saved model resizes whatever it gets, but Keras' ``Resizing`` layer only reads a few pixels of a
    large photo for each one it keeps: resizing here first makes its resize a no-op."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such photo; give the path of a .jpg or .png file")
    try:
        image = read_rgb(path)
    except ValueError as error:
        raise ValueError(f"{path}: not a photo this course can read ({error}); try a .jpg or .png") from None
    return resize(image, image_size).astype(np.float32)


def decode_images(files: list[Path], image_size: int, report: DecodeReport) -> tuple[np.ndarray, list[int]]:
    """Decode and resize ``files`` to ``image_size``² RGB uint8; return the array and the indices kept."""
    from tqdm.auto import tqdm  # progress only matters for the first (uncached) decode

    arrays, kept = [], []
    for index, path in enumerate(tqdm(files, desc=f"Decoding photos at {image_size} px", leave=False, disable=len(files) < 200)):
        try:
            image = read_rgb(path)
        except ValueError as error:
            report.skipped.append((path, str(error).split("\n")[0][:80]))
            continue
        arrays.append(resize(image, image_size))
        kept.append(index)
    if not arrays:
        return np.zeros((0, image_size, image_size, 3), np.uint8), kept
    return np.stack(arrays), kept


def image_sizes(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Width and height of each readable file, read from the headers only: ``(sizes (K, 2), kept (K,))``
    where ``kept`` are the indices of the files that could be read."""
    sizes, kept = [], []
    for index, path in enumerate(files):
        try:
            with Image.open(path) as image:
                sizes.append(image.size)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            continue
        kept.append(index)
    return np.array(sizes, dtype=np.int64).reshape(-1, 2), np.array(kept, dtype=np.int64)
