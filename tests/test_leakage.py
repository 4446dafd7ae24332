"""benchmarks/leakage.py: a photo handed to two splits is found, whatever its file is called."""

import shutil
import sys

from practicum import paths

sys.path.insert(0, str(paths.ROOT))
from benchmarks import leakage, record  # noqa: E402


def test_a_photo_in_two_splits_is_found_and_nothing_is_recorded_on_a_dry_run(tiny_dataset, holdout_folder, monkeypatch):
    copied = tiny_dataset / "validation" / "cats" / "cat.000.jpg"
    shutil.copy(copied, holdout_folder / "cats" / "renamed.jpg")
    monkeypatch.setenv("PRACTICUM_HOLDOUT_DIR", str(holdout_folder))
    before = record.RESULTS.read_bytes()
    found = leakage.main(["--distance", "0", "--no-record"])
    assert {"first": str(copied), "second": str(holdout_folder / "cats" / "renamed.jpg"), "distance": 0} in found["validation-holdout"]
    assert record.RESULTS.read_bytes() == before
    assert (paths.build_dir() / "benchmarks" / "leakage.json").is_file()


def test_hamming_distances_count_the_bits_that_differ():
    import numpy as np

    first = np.array([[0b00000000] * 8, [0b11111111] * 8], np.uint8)
    second = np.array([[0b00000001] + [0] * 7], np.uint8)
    assert leakage.distances(first, second).tolist() == [[1], [63]]
