"""The data layer: where photos come from, layout checks, arrays, the on-disk cache, tf.data."""

import os
import traceback
from pathlib import Path

import numpy as np
import pytest

import practicum.data
from conftest import (CLASS_COLORS, TINY_COUNTS, make_class_folders, make_photo_tree, record_warnings, tiny_spec_for,
                      write_photo)
from practicum import paths
from practicum.data import (DataError, PhotoCountWarning, check_layout, dataset_root, list_images, load_arrays,
                            load_dataset, load_photos)
from practicum.images import BadImagesWarning
from practicum.registry import dataset_spec

pytestmark = pytest.mark.usefixtures("isolated_paths")

SIZES = (16, 24, 32)


def of(category, records):
    return [str(r.message) for r in records if issubclass(r.category, category)]


def assert_learner_facing(error: BaseException) -> None:
    """A message that names a place, on one line, raised from the course's code, not TensorFlow's."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in frames:
        parts = Path(frame.filename).parts
        assert "tensorflow" not in parts and "keras" not in parts, frame
    cause = error.__cause__ or error.__context__
    assert cause is None or "tensorflow" not in type(cause).__module__
    assert "\n" not in str(error)


class DecodeCounter:
    """Wraps practicum.data.decode_images and counts the calls."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self._decode = practicum.data.decode_images
        monkeypatch.setattr(practicum.data, "decode_images", self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._decode(*args, **kwargs)


# --- the registry -----------------------------------------------------------------------------

def test_registry_describes_the_official_archive():
    spec = dataset_spec()
    assert spec.size == 68_606_236
    assert len(spec.urls) == 2 and all(url.startswith("https://") and url.endswith(".zip") for url in spec.urls)
    assert spec.folder == "cats_and_dogs_filtered" and spec.classes == ("cats", "dogs")
    assert spec.splits == {"train": {"cats": 1000, "dogs": 1000}, "validation": {"cats": 500, "dogs": 500}}
    assert spec.expected_count("validation", "dogs") == 500 and spec.expected_count("test", "cats") is None


def test_unknown_dataset_names_the_registry():
    with pytest.raises(KeyError, match="cats_and_dogs_filtered"):
        dataset_spec("mnist")


# --- where the photos come from ---------------------------------------------------------------

def test_isolation_keeps_the_real_cache_out_of_reach(isolated_paths):
    assert paths.cache_dir() == isolated_paths.cache.resolve()
    assert paths.build_dir() == isolated_paths.build.resolve()
    assert paths.data_dir() is None and paths.holdout_dir() is None


def test_data_dir_comes_first(tiny_dataset):
    assert dataset_root() == tiny_dataset


def test_cached_dataset_is_used_without_downloading(isolated_paths, tiny_spec, use_spec):
    use_spec(tiny_spec)  # its only URL is a closed port: any download attempt would fail
    root = make_photo_tree(isolated_paths.cache / "cats_and_dogs_filtered")
    assert dataset_root() == root
    assert len(load_arrays("validation", 16)[1]) == 8


def test_layout_is_checked_once_per_place(tiny_dataset, isolated_paths, monkeypatch):
    checked = []
    real_check = practicum.data.check_layout
    monkeypatch.setattr(practicum.data, "check_layout", lambda root, spec: (checked.append(root), real_check(root, spec)))
    load_arrays("train", 16)
    load_arrays("validation", 16)
    assert checked == [tiny_dataset]

    other = make_photo_tree(isolated_paths.tmp / "elsewhere" / "cats_and_dogs_filtered")
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(other))
    load_arrays("train", 16)
    assert checked == [tiny_dataset, other]


def test_a_new_place_with_a_broken_layout_is_caught(tiny_dataset, isolated_paths, monkeypatch):
    dataset_root()
    broken = make_photo_tree(isolated_paths.tmp / "broken", {"train": {"cats": 8, "dogs": 8}})
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(broken))
    with pytest.raises(DataError, match="validation"):
        load_arrays("train", 16)


def test_missing_data_dir_is_a_data_error(isolated_paths, tiny_spec, use_spec, monkeypatch):
    use_spec(tiny_spec)
    missing = isolated_paths.tmp / "nowhere"
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(missing))
    with pytest.raises(DataError) as caught:
        load_arrays("train", 16)
    assert str(missing) in str(caught.value) and "PRACTICUM_DATA_DIR" in str(caught.value)
    assert_learner_facing(caught.value)


def test_data_dir_one_level_too_high_is_a_data_error(tiny_dataset, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(tiny_dataset.parent))
    with pytest.raises(DataError) as caught:
        dataset_root()
    assert str(tiny_dataset.parent / "train" / "cats") in str(caught.value)
    assert "PRACTICUM_DATA_DIR" in str(caught.value)


@pytest.mark.parametrize("missing", ["train/dogs", "validation/cats", "validation"])
def test_missing_folder_is_a_data_error_naming_it(missing, tiny_dataset):
    import shutil

    shutil.rmtree(tiny_dataset / missing)
    with pytest.raises(DataError) as caught:
        load_arrays("train", 16)
    message = str(caught.value)
    assert str(tiny_dataset / missing) in message
    assert "PRACTICUM_DATA_DIR" in message
    assert_learner_facing(caught.value)


def test_count_mismatch_warns_naming_the_folder(tiny_dataset):
    (tiny_dataset / "train" / "dogs" / "dog.000.jpg").unlink()
    with record_warnings() as recorded:
        images, labels = load_arrays("train", 16)
    (message,) = of(PhotoCountWarning, recorded)
    assert str(tiny_dataset / "train" / "dogs") in message and "7" in message and "8" in message
    assert labels.tolist() == [0] * 8 + [1] * 7


def test_matching_counts_do_not_warn(tiny_dataset):
    with record_warnings() as recorded:
        load_arrays("train", 16)
        load_arrays("validation", 16)
    assert recorded == []


def test_check_layout_counts_against_the_spec(tiny_dataset, tiny_spec):
    check_layout(tiny_dataset, tiny_spec)
    bigger = tiny_spec_for(counts={"train": {"cats": 8, "dogs": 9}, "validation": {"cats": 4, "dogs": 4}})
    with pytest.warns(PhotoCountWarning, match="train/dogs: 8 photos, the registry expects 9"):
        check_layout(tiny_dataset, bigger)


def test_empty_split_is_a_data_error(tiny_dataset):
    for class_name in ("cats", "dogs"):
        for photo in (tiny_dataset / "validation" / class_name).iterdir():
            photo.unlink()
    with pytest.warns(PhotoCountWarning):
        with pytest.raises(DataError) as caught:
            load_arrays("validation", 16)
    assert str(tiny_dataset / "validation") in str(caught.value)
    assert "add .jpg files" in str(caught.value)
    assert_learner_facing(caught.value)


def test_a_class_with_no_photos_is_a_data_error_naming_its_folder(tiny_dataset, holdout_folder):
    for photo in (tiny_dataset / "train" / "dogs").iterdir():
        photo.unlink()
    with pytest.warns(PhotoCountWarning):
        with pytest.raises(DataError) as caught:
            load_arrays("train", 16)
    assert str(tiny_dataset / "train" / "dogs") in str(caught.value)
    for photo in (holdout_folder / "cats").iterdir():
        photo.unlink()
    with pytest.raises(DataError, match="no photos"):
        load_arrays(folder=holdout_folder, image_size=16)


def test_unknown_split_is_a_data_error(tiny_dataset):
    with pytest.raises(DataError, match="train, validation"):
        load_arrays("test", 16)


def test_hidden_and_non_image_files_are_ignored(tiny_dataset):
    cats = tiny_dataset / "train" / "cats"
    (cats / "._cat.000.jpg").write_bytes(b"macOS resource fork")
    (cats / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (cats / "Thumbs.db").write_bytes(b"\0" * 64)
    (cats / "README.txt").write_text("photos of cats")
    with record_warnings() as recorded:
        files, labels = list_images("train")
        images, _ = load_arrays("train", 16)
    assert recorded == []
    assert len(files) == len(images) == 16
    assert all(f.suffix == ".jpg" and not f.name.startswith(".") for f in files)


# --- arrays -----------------------------------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "validation"])
def test_files_and_labels_come_in_a_fixed_order(split, tiny_dataset):
    files, labels = list_images(split)
    n_cats, n_dogs = TINY_COUNTS[split]["cats"], TINY_COUNTS[split]["dogs"]
    assert labels.dtype == np.int64 and labels.tolist() == [0] * n_cats + [1] * n_dogs
    assert [f.parent.name for f in files] == ["cats"] * n_cats + ["dogs"] * n_dogs
    assert files[:n_cats] == sorted(files[:n_cats]) and files[n_cats:] == sorted(files[n_cats:])
    assert list_images(split)[0] == files  # and the same order every time


@pytest.mark.parametrize("size", SIZES)
def test_arrays_have_the_requested_shape_and_types(size, tiny_dataset):
    images, labels = load_arrays("train", size)
    assert images.shape == (16, size, size, 3) and images.dtype == np.uint8
    assert labels.shape == (16,) and labels.dtype == np.int64
    # the pixels belong to their labels: cats are red, dogs are blue
    red, blue = images[..., 0].mean(axis=(1, 2)), images[..., 2].mean(axis=(1, 2))
    assert np.all((red > blue) == (labels == 0))


def test_photos_line_up_with_their_files(tiny_dataset):
    photos = load_photos("validation", 16)
    files, labels = list_images("validation")
    assert photos.files == files and np.array_equal(photos.labels, labels) and len(photos) == 8


def test_balanced_subset_is_reproducible(tiny_dataset):
    first = load_photos("train", 16, subset=6, seed=1)
    again = load_photos("train", 16, subset=6, seed=1)
    other = load_photos("train", 16, subset=6, seed=2)
    assert first.labels.tolist() == [0, 0, 0, 1, 1, 1]  # balanced, in file order
    assert first.files == again.files and np.array_equal(first.images, again.images)
    assert first.files != other.files and other.labels.tolist() == [0, 0, 0, 1, 1, 1]
    all_files, _ = list_images("train")
    assert first.files == sorted(first.files, key=all_files.index)
    assert len(load_arrays("train", 16, subset=100)[1]) == 16  # more than there is: everything


def test_second_call_is_served_from_the_disk_cache(tiny_dataset, isolated_paths, monkeypatch):
    first_images, first_labels = load_arrays("train", 16)
    cached = list((isolated_paths.cache / "arrays").glob("*/*.npz"))
    assert len(cached) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of reading the cache")

    monkeypatch.setattr(practicum.data, "decode_images", no_decoding)
    images, labels = load_arrays("train", 16)
    assert np.array_equal(images, first_images) and np.array_equal(labels, first_labels)


def test_cache_is_keyed_by_size_subset_and_split(tiny_dataset, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    load_arrays("train", 16)
    load_arrays("train", 16)
    assert counter.calls == 1
    load_arrays("train", 24)
    load_arrays("train", 16, subset=4)
    load_arrays("validation", 16)
    assert counter.calls == 4


def test_cache_invalidates_when_a_photo_changes(tiny_dataset, monkeypatch):
    counter = DecodeCounter(monkeypatch)
    images, _ = load_arrays("train", 16)
    assert images[0, ..., 1].mean() < 100  # cat.000 is red

    photo = tiny_dataset / "train" / "cats" / "cat.000.jpg"
    stat = photo.stat()
    write_photo(photo, (30, 220, 30))  # a green photo under the same name
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a clearly newer file
    images, _ = load_arrays("train", 16)
    assert counter.calls == 2
    assert images[0, ..., 1].mean() > 150  # the new pixels, not the cached ones

    write_photo(tiny_dataset / "train" / "dogs" / "dog.999.jpg", CLASS_COLORS["dogs"])  # a new photo
    images, labels = load_arrays("train", 16)  # (the folder was checked already: no count warning)
    assert counter.calls == 3 and len(labels) == 17


def test_a_damaged_cache_file_is_decoded_again(tiny_dataset, isolated_paths, monkeypatch):
    first, _ = load_arrays("train", 16)
    (cached,) = (isolated_paths.cache / "arrays").glob("*/*.npz")
    cached.write_bytes(cached.read_bytes()[:100])
    counter = DecodeCounter(monkeypatch)
    images, _ = load_arrays("train", 16)
    assert counter.calls == 1 and np.array_equal(images, first)
    load_arrays("train", 16)
    assert counter.calls == 1  # and the cache file was repaired


def test_an_unwritable_cache_costs_speed_not_the_lesson(tiny_dataset, isolated_paths, monkeypatch):
    blocker = isolated_paths.tmp / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("PRACTICUM_CACHE_DIR", str(blocker / "cache"))
    with pytest.warns(UserWarning, match="could not cache decoded photos"):
        images, labels = load_arrays("validation", 16)
    assert images.shape == (8, 16, 16, 3)


# --- an instructor's holdout folder -----------------------------------------------------------

def test_holdout_folder_loads_like_a_split(isolated_paths, tiny_spec, use_spec, holdout_folder):
    use_spec(tiny_spec)  # no PRACTICUM_DATA_DIR and an unreachable URL: the dataset is never needed
    images, labels = load_arrays(image_size=16, folder=holdout_folder)
    assert images.shape == (6, 16, 16, 3) and labels.tolist() == [0, 0, 0, 1, 1, 1]
    files, _ = list_images(folder=str(holdout_folder))
    assert [f.parent.name for f in files] == ["cats"] * 3 + ["dogs"] * 3
    assert not (isolated_paths.cache / "cats_and_dogs_filtered").exists()


def test_holdout_folder_without_dogs_is_a_data_error(isolated_paths, tiny_spec, use_spec, tmp_path):
    use_spec(tiny_spec)
    folder = make_class_folders(tmp_path / "holdout", {"cats": 2})
    with pytest.raises(DataError) as caught:
        load_arrays(image_size=16, folder=folder)
    assert str(folder / "dogs") in str(caught.value)
    assert_learner_facing(caught.value)


def test_holdout_folder_with_bad_photos_warns_once(isolated_paths, tiny_spec, use_spec, holdout_folder):
    use_spec(tiny_spec)
    (holdout_folder / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8\xff")
    with record_warnings() as recorded:
        images, labels = load_arrays(image_size=16, folder=holdout_folder)
    (message,) = of(BadImagesWarning, recorded)
    assert "broken.jpg" in message and str(holdout_folder) in message
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


# --- tf.data ----------------------------------------------------------------------------------

def batches(dataset):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    return np.concatenate(images), np.concatenate(labels), [len(y) for y in labels]


def test_dataset_yields_float32_batches_in_file_order(tiny_dataset):
    import tensorflow as tf

    dataset = load_dataset("validation", image_size=16, batch_size=3)
    assert isinstance(dataset, tf.data.Dataset)
    image_spec, label_spec = dataset.element_spec
    assert image_spec.dtype == tf.float32 and tuple(image_spec.shape) == (None, 16, 16, 3)
    assert label_spec.dtype.is_integer
    images, labels, sizes = batches(dataset)
    expected_images, expected_labels = load_arrays("validation", 16)
    assert sizes == [3, 3, 2]
    assert np.array_equal(labels, expected_labels) and np.array_equal(images, expected_images.astype(np.float32))
    assert images.max() > 1  # raw 0–255: rescaling is the model's job


def test_training_data_is_shuffled_reproducibly(tiny_dataset):
    in_order = load_arrays("train", 16)[1]
    _, first, _ = batches(load_dataset("train", image_size=16, batch_size=4, seed=3))
    _, again, _ = batches(load_dataset("train", image_size=16, batch_size=4, seed=3))
    _, other, _ = batches(load_dataset("train", image_size=16, batch_size=4, seed=4))
    assert first.tolist() == again.tolist()
    assert sorted(first.tolist()) == sorted(in_order.tolist())  # every photo, once
    assert first.tolist() != in_order.tolist()


def test_training_images_follow_their_labels_through_the_shuffle(tiny_dataset):
    images, labels, _ = batches(load_dataset("train", image_size=16, batch_size=5, seed=7))
    red, blue = images[..., 0].mean(axis=(1, 2)), images[..., 2].mean(axis=(1, 2))
    assert np.all((red > blue) == (labels == 0))
    reference, _ = load_arrays("train", 16)
    order_a = [int(np.flatnonzero((reference == image).all(axis=(1, 2, 3)))[0]) for image in images.astype(np.uint8)]
    seeded = batches(load_dataset("train", image_size=16, batch_size=5, seed=8))[0]
    order_b = [int(np.flatnonzero((reference == image).all(axis=(1, 2, 3)))[0]) for image in seeded.astype(np.uint8)]
    assert sorted(order_a) == list(range(16)) and order_a != order_b  # another seed, another order


def test_training_data_is_reshuffled_each_epoch(tiny_dataset):
    dataset = load_dataset("train", image_size=16, batch_size=16, seed=5)
    epoch_1, epoch_2 = batches(dataset)[0], batches(dataset)[0]
    assert not np.array_equal(epoch_1, epoch_2)


def test_shuffle_can_be_turned_off_and_holdouts_keep_order(tiny_dataset, holdout_folder):
    _, labels, _ = batches(load_dataset("train", image_size=16, shuffle=False))
    assert labels.tolist() == [0] * 8 + [1] * 8
    _, labels, _ = batches(load_dataset(image_size=16, folder=holdout_folder))
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_subset_dataset(tiny_dataset):
    _, labels, _ = batches(load_dataset("validation", image_size=16, subset=4, seed=0))
    assert labels.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("breakage", ["no data dir", "missing split", "nothing decodes", "empty split"])
def test_data_problems_reach_keras_users_as_data_errors(breakage, tiny_dataset, monkeypatch):
    import shutil

    if breakage == "no data dir":
        monkeypatch.setenv("PRACTICUM_DATA_DIR", str(tiny_dataset.parent / "typo"))
    elif breakage == "missing split":
        shutil.rmtree(tiny_dataset / "validation")
    else:
        for photo in (tiny_dataset / "validation").rglob("*.jpg"):
            if breakage == "empty split":
                photo.unlink()
            else:
                photo.write_bytes(b"<html>not found</html>")
    with record_warnings():
        with pytest.raises(DataError) as caught:
            load_dataset("validation", image_size=16)
    assert_learner_facing(caught.value)


# --- the real mirror, where CI has one --------------------------------------------------------

def test_real_mirror_validation_split(real_dataset, isolated_paths, monkeypatch):
    monkeypatch.setenv("PRACTICUM_DATA_DIR", str(real_dataset))
    with record_warnings() as recorded:
        images, labels = load_arrays("validation", 32)
    assert of(PhotoCountWarning, recorded) == []  # train and validation hold the registry's counts
    assert images.shape == (1000, 32, 32, 3) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500, 500] and labels.tolist() == sorted(labels.tolist())


def test_real_holdout_folder(real_holdout, isolated_paths):
    images, labels = load_arrays(image_size=32, folder=real_holdout)
    assert images.shape == (500, 32, 32, 3)
    assert set(labels.tolist()) == {0, 1} and labels.tolist() == sorted(labels.tolist())
