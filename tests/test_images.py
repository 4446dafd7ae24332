"""Decoding photos robustly: odd modes and formats become RGB, undecodable files are skipped once."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import CLASS_COLORS, record_warnings, write_photo
from practicum.data import DataError, load_arrays, load_photos
from practicum.images import BadImagesWarning, DecodeReport, decode_images, image_sizes, load_photo, read_rgb

pytestmark = pytest.mark.usefixtures("isolated_paths")

RED = CLASS_COLORS["cats"]


def good_jpeg_bytes(tmp_path: Path) -> bytes:
    return write_photo(tmp_path / "source" / "good.jpg", RED, size=(32, 32)).read_bytes()


def bad_files(folder: Path, tmp_path: Path) -> list[Path]:
    """Four files that cannot be decoded, each broken in a different way."""
    good = good_jpeg_bytes(tmp_path)
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "corrupt.jpg": good[:2] + rng.integers(0, 256, 600, dtype=np.uint8).tobytes(),  # JPEG marker, then noise
        "truncated.jpg": good[: len(good) // 2],
        "notes.jpg": b"These are my notes about cats, saved with the wrong name.\n",
        "empty.jpg": b"",
    }
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in contents]


def only(category, records):
    return [r for r in records if issubclass(r.category, category)]


# --- read_rgb / decode_images -----------------------------------------------------------------

@pytest.mark.parametrize("broken", ["corrupt.jpg", "truncated.jpg", "notes.jpg", "empty.jpg"])
def test_read_rgb_rejects_undecodable_files_with_value_error(broken, tmp_path):
    files = {p.name: p for p in bad_files(tmp_path / "bad", tmp_path)}
    with pytest.raises(ValueError):
        read_rgb(files[broken])


def test_header_claiming_a_giant_image_is_a_value_error(tmp_path, monkeypatch):
    path = write_photo(tmp_path / "huge.jpg", RED, size=(32, 32))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 32×32 is now over twice the limit: a "bomb"
    with pytest.raises(ValueError, match="DecompressionBomb"):
        read_rgb(path)
    report = DecodeReport()
    images, kept = decode_images([path], 16, report)
    assert images.shape == (0, 16, 16, 3) and kept == [] and report.skipped[0][0] == path


def test_image_sizes_reads_headers_and_skips_unreadable_files(tmp_path, monkeypatch):
    small = write_photo(tmp_path / "small.jpg", RED, size=(8, 6))
    wide = write_photo(tmp_path / "wide.png", RED, size=(12, 5), fmt="PNG")
    huge = write_photo(tmp_path / "huge.jpg", RED, size=(32, 32))
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 32×32 counts as a decompression bomb now
    sizes, kept = image_sizes([small, notes, wide, huge])
    assert sizes.tolist() == [[8, 6], [12, 5]] and kept.tolist() == [0, 2]


ODD_PHOTOS = {  # file name: (PIL format, mode, extra save arguments)
    "gray.jpg": ("JPEG", "L", {}),
    "cmyk.jpg": ("JPEG", "CMYK", {}),
    "palette.png": ("PNG", "P", {}),
    "palette_transparent.png": ("PNG", "P", {"transparency": 0}),
    "rgba.png": ("PNG", "RGBA", {}),
    "gray_alpha.png": ("PNG", "LA", {}),
    "png_named.jpg": ("PNG", "RGB", {}),
    "gif_named.jpg": ("GIF", "P", {}),
    "plain.jpeg": ("JPEG", "RGB", {}),
}


@pytest.mark.parametrize("name", ODD_PHOTOS)
def test_odd_modes_and_formats_decode_to_rgb(name, tmp_path):
    fmt, mode, extra = ODD_PHOTOS[name]
    path = write_photo(tmp_path / name, RED, size=(30, 20), fmt=fmt, mode=mode, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a learner should not see PIL's warnings either
        image = read_rgb(path)
    assert image.mode == "RGB" and image.size == (30, 20)
    pixels = np.asarray(image, dtype=float)
    if mode in ("L", "LA"):
        assert np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2])
    else:  # still recognisably red
        red, green, blue = pixels.reshape(-1, 3).mean(axis=0)
        assert red > 150 and green < 100 and blue < 100, (red, green, blue)


def test_decode_images_resizes_everything_to_square_uint8(tmp_path):
    paths = [write_photo(tmp_path / name, RED, size=(30, 20), fmt=fmt, mode=mode, **extra)
             for name, (fmt, mode, extra) in ODD_PHOTOS.items()]
    for size in (16, 24, 32):
        report = DecodeReport()
        images, kept = decode_images(paths, size, report)
        assert images.shape == (len(paths), size, size, 3) and images.dtype == np.uint8
        assert kept == list(range(len(paths))) and report.skipped == []


def test_decode_images_skips_bad_files_and_reports_them(tmp_path):
    good = [write_photo(tmp_path / f"good{i}.jpg", RED, i) for i in range(3)]
    bad = bad_files(tmp_path, tmp_path)
    files = [good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2]]
    report = DecodeReport()
    images, kept = decode_images(files, 16, report)
    assert kept == [0, 2, 6] and images.shape == (3, 16, 16, 3)
    assert [path for path, _ in report.skipped] == bad
    assert all(reason and "\n" not in reason for _, reason in report.skipped)


def test_report_names_at_most_ten_files(tmp_path):
    report = DecodeReport(skipped=[(tmp_path / f"bad{i:02d}.jpg", "broken") for i in range(13)])
    with pytest.warns(BadImagesWarning) as caught:
        report.warn(tmp_path)
    (message,) = [str(w.message) for w in caught]
    assert "skipped 13 file(s)" in message and "bad09.jpg" in message and "bad10.jpg" not in message
    assert "and 3 more" in message


def test_empty_report_is_silent(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DecodeReport().warn(tmp_path)


# --- through the data layer -------------------------------------------------------------------

def test_bad_files_in_a_split_are_skipped_with_one_warning(tiny_dataset, tmp_path):
    bad = bad_files(tiny_dataset / "train" / "cats", tmp_path)
    assert len(list((tiny_dataset / "train" / "cats").iterdir())) == 8 + 4

    for attempt in ("decoded", "from the cache"):
        with record_warnings() as recorded:
            photos = load_photos("train", 16)
        (warning,) = only(BadImagesWarning, recorded)
        message = str(warning.message)
        assert "skipped 4 file(s)" in message, attempt
        assert all(path.name in message for path in bad), attempt
        assert str(tiny_dataset / "train") in message
        assert "notes.jpg (UnidentifiedImageError: cannot identify image file 'notes.jpg')" in message
        assert message.count(str(tiny_dataset)) == 1  # the folder once; reasons name files, not paths
        assert len(photos) == 16 and photos.images.shape == (16, 16, 16, 3)
        assert photos.labels.tolist() == [0] * 8 + [1] * 8
        assert not set(bad) & set(photos.files)


def test_odd_but_readable_photos_load_without_a_warning(tiny_dataset):
    cats = tiny_dataset / "train" / "cats"
    for n, (name, (fmt, mode, extra)) in enumerate(ODD_PHOTOS.items()):
        target = cats / f"cat.{n:03d}.jpg"  # replace a cat photo by an odd one under a .jpg name
        write_photo(target, RED, n, size=(40, 28), fmt=fmt, mode=mode, **extra)
    n_cats = len(list(cats.iterdir()))
    with record_warnings() as recorded:
        images, labels = load_arrays("train", 24)
    assert images.shape == (n_cats + 8, 24, 24, 3) and images.dtype == np.uint8
    assert labels.tolist() == [0] * n_cats + [1] * 8
    assert (images[:n_cats, ..., 0].mean() > 150) and (images[n_cats:, ..., 2].mean() > 150)
    assert only(BadImagesWarning, recorded) == []


def test_a_split_where_nothing_decodes_is_a_data_error(tiny_dataset, tmp_path):
    for class_name in ("cats", "dogs"):
        for photo in (tiny_dataset / "validation" / class_name).iterdir():
            photo.write_bytes(b"not a photo")
    with pytest.warns(BadImagesWarning, match="skipped 8 file"):
        with pytest.raises(DataError) as caught:
            load_arrays("validation", 16)
    assert str(tiny_dataset / "validation") in str(caught.value)
    assert "none of 8 files" in str(caught.value)


# --- a photo of your own ----------------------------------------------------------------------


def phone_photo(path: Path, orientation: int) -> Path:
    """A 'portrait' photo as a phone stores it: landscape pixels (red left half, blue right half) plus the EXIF
    tag that says how to turn them (6: rotate 90° clockwise to view)."""
    pixels = np.zeros((40, 60, 3), np.uint8)
    pixels[:, :30] = RED
    pixels[:, 30:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, "JPEG", exif=exif, quality=95)
    return path


def test_a_phone_photo_is_turned_upright_by_its_exif_orientation(tmp_path):
    upright = np.asarray(read_rgb(phone_photo(tmp_path / "portrait.jpg", 6)), dtype=float)
    assert upright.shape == (60, 40, 3)  # portrait now
    top, bottom = upright[:20].reshape(-1, 3).mean(axis=0), upright[-20:].reshape(-1, 3).mean(axis=0)
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0], (top, bottom)  # turned clockwise: red on top


def test_load_photo_resizes_a_large_photo_without_aliasing(tmp_path):
    stripes = np.zeros((1200, 1600, 3), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes: grey, seen from afar
    Image.fromarray(stripes).save(tmp_path / "stripes.png")
    photo = load_photo(tmp_path / "stripes.png", 64)
    assert photo.shape == (64, 64, 3) and photo.dtype == np.float32
    assert abs(photo.mean() - 127.5) < 3 and photo.std() < 3  # a point-sampling resize would show all white or all black
    assert np.array_equal(photo, decode_images([tmp_path / "stripes.png"], 64, DecodeReport())[0][0])  # as training photos are


def test_load_photo_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such photo.*jpg or .png"):
        load_photo(tmp_path / "missing.jpg", 64)
    (tmp_path / "notes.jpg").write_text("not a photo")
    with pytest.raises(ValueError, match="notes.jpg: not a photo this course can read"):
        load_photo(tmp_path / "notes.jpg", 64)
