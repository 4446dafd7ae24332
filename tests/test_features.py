"""Unit tests of practicum.features (lessons 1–2's shared helpers) and benchmarks/record.py."""

import csv

import numpy as np
import pytest

from practicum import features as F
from practicum.checks import ExpectationFailed

rng = np.random.default_rng(0)


def photos(n=3, h=8, w=8, dtype=np.uint8):
    return rng.integers(0, 256, (n, h, w, 3)).astype(dtype)


# ------------------------------------------------------------------------------------- pixels

def test_flatten_scales_to_unit_range_without_uint8_overflow():
    x = np.zeros((2, 4, 5, 3), np.uint8)
    x[1] = 255
    out = F.flatten(x)
    assert out.shape == (2, 60) and out.dtype == np.float32
    assert out[0].max() == 0 and np.allclose(out[1], 1.0)
    assert F.flatten(x, scale=False)[1].max() == 255


def test_flatten_accepts_one_image_and_floats():
    assert F.flatten(np.full((4, 4, 3), 51.0)).shape == (1, 48)
    with pytest.raises(ValueError, match="RGB"):
        F.flatten(np.zeros((2, 4, 4)))


def test_class_means_do_not_wrap_around():
    x = np.array([np.full((2, 2, 3), v) for v in (200, 100, 10, 30)], np.uint8)
    means = F.class_means(x, [0, 0, 1, 1])
    assert means.shape == (2, 2, 2, 3)
    assert np.allclose(means[0], 150) and np.allclose(means[1], 20)


def test_nearest_mean_picks_the_nearer_template_even_for_uint8_means():
    means = np.array([np.full((2, 2, 3), 10), np.full((2, 2, 3), 240)], np.uint8)
    x = np.array([np.full((2, 2, 3), 250), np.full((2, 2, 3), 5)], np.uint8)
    assert list(F.nearest_mean(x, means)) == [1, 0]


def test_accuracy():
    assert F.accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75


# ------------------------------------------------------------------------------ perturbations

def test_shift_moves_content_and_repeats_the_edge():
    x = np.arange(5, dtype=np.uint8)[None, None, :, None].repeat(3, -1).repeat(2, 1)   # (1, 2, 5, 3)
    moved = F.shift(x, dx=2)
    assert moved.shape == x.shape
    assert list(moved[0, 0, :, 0]) == [0, 0, 0, 1, 2]
    assert np.array_equal(F.shift(x, dx=0), x)
    assert list(F.shift(x, dx=-1)[0, 0, :, 0]) == [1, 2, 3, 4, 4]


def test_flip_and_brighten():
    x = photos(2, 4, 6)
    assert np.array_equal(F.flip(F.flip(x)), x)
    assert np.array_equal(F.flip(x)[:, :, 0], x[:, :, -1])
    bright = F.brighten(x, 300)
    assert bright.dtype == np.uint8 and bright.min() == 255
    assert F.brighten(x, -300).max() == 0


# --------------------------------------------------------------------------------- features

@pytest.mark.parametrize("space", ["rgb", "hsv"])
@pytest.mark.parametrize("joint", [True, False])
def test_color_histogram_sums_to_one(space, joint):
    out = F.color_histogram(photos(4, 7, 5), bins=4, space=space, joint=joint)
    assert out.shape == (4, 64 if joint else 12)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_color_histogram_puts_255_in_the_last_bin():
    white = np.full((1, 3, 3, 3), 255, np.uint8)
    assert F.color_histogram(white, bins=4)[0, -1] == pytest.approx(1.0)
    assert F.color_histogram(white, bins=4, joint=False)[0, [3, 7, 11]] == pytest.approx([1 / 3] * 3)


def test_color_histogram_matches_numpy_histogram():
    x = photos(2, 6, 9)
    out = F.color_histogram(x, bins=8, joint=False)
    expected = np.array([np.concatenate([np.histogram(p[..., c], bins=8, range=(0, 256))[0] for c in range(3)]) for p in x])
    assert np.allclose(out, expected / expected.sum(1, keepdims=True))


def test_color_histogram_rejects_unknown_spaces():
    with pytest.raises(ValueError, match="lab"):
        F.color_histogram(photos(), space="lab")


def test_orientation_histogram_of_stripes_and_flat_images():
    stripes = np.zeros((1, 6, 6, 3), np.uint8)
    stripes[:, :, ::2] = 200
    assert np.allclose(F.orientation_histogram(stripes, 9)[0], np.eye(9)[0])
    assert np.allclose(F.orientation_histogram(stripes.transpose(0, 2, 1, 3), 9)[0], np.eye(9)[4])
    flat = F.orientation_histogram(np.full((2, 5, 5, 3), 7, np.uint8), 9)
    assert not np.isnan(flat).any() and flat.sum() == 0


def test_orientation_histogram_is_contrast_invariant():
    x = photos(2, 9, 7).astype(float)
    assert np.allclose(F.orientation_histogram(x), F.orientation_histogram(x * 0.5), atol=1e-6)
    assert np.allclose(F.orientation_histogram(x).sum(1), 1.0, atol=1e-5)


def test_texture_and_shape_features_have_fixed_widths():
    x = photos(2, 32, 32)
    assert F.hog(x, cell=8).shape == (2, 9 * 3 * 3 * 4)
    assert F.lbp_histogram(x, grid=2).shape == (2, 40)
    assert np.allclose(F.lbp_histogram(x, grid=1).sum(1), 1.0)
    edges = F.edge_density(x, grid=4)
    assert edges.shape == (2, 16) and edges.min() >= 0 and edges.max() <= 1


def test_every_feature_family_gives_one_row_per_photo():
    x = photos(3, 64, 64)
    for name, extract in F.FEATURES.items():
        out = extract(x)
        assert out.ndim == 2 and len(out) == 3 and out.dtype == np.float32, name
        assert np.isfinite(out).all(), name
    assert F.extract(x, ["rgb_hist", "lbp"]).shape == (3, 512 + 40)


def test_combine_balances_blocks():
    big, small = rng.normal(0, 100, (20, 50)), rng.normal(0, 0.01, (20, 2))
    out = F.combine(big, small, np.zeros((20, 1)))
    assert out.shape == (20, 53)
    assert np.sqrt(out[:, :50].var(0).sum()) == pytest.approx(1, rel=1e-4)
    assert np.sqrt(out[:, 50:52].var(0).sum()) == pytest.approx(1, rel=1e-4)


# ---------------------------------------------------------------------------- fit and score

def test_fit_and_score_and_sweep():
    X = np.r_[rng.normal(-2, 1, (40, 3)), rng.normal(2, 1, (40, 3))]
    y = np.r_[np.zeros(40, int), np.ones(40, int)]
    result = F.fit_and_score(F.logistic(1.0), X, y, X, y)
    assert result["train_acc"] > 0.9 and result["val_acc"] > 0.9 and result["seconds"] >= 0
    rows = F.sweep(F.rbf_svm, [0.1, 1.0], X, y, X, y, name="C")
    assert [row["C"] for row in rows] == [0.1, 1.0] and all("val_acc" in row for row in rows)


# ------------------------------------------------------------------------------ the holdout

def test_load_holdout_fails_clearly_without_the_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("PRACTICUM_HOLDOUT_DIR", raising=False)
    with pytest.raises(ExpectationFailed, match="PRACTICUM_HOLDOUT_DIR is not set"):
        F.load_holdout(32)
    monkeypatch.setenv("PRACTICUM_HOLDOUT_DIR", str(tmp_path / "missing"))
    with pytest.raises(F.HoldoutMissing, match="not a folder"):
        F.load_holdout(32)


# --------------------------------------------------------------------------- benchmarks/record

def test_record_appends_rows_and_renders_the_latest(tmp_path):
    from benchmarks import record

    results, readme = tmp_path / "results.csv", tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nProse stays.\n")
    record.append([("pixels", "val_acc[logreg_64px]", 0.6, 12.3, "python x.py"),
                   {"stage": "pixels", "metric": "holdout_acc[logreg_64px]", "value": 0.61, "seconds": 12.3, "command": "python x.py"}],
                  path=results, readme=readme)
    record.append([("pixels", "val_acc[logreg_64px]", 0.62, 10, "python y.py")], path=results, readme=readme)
    with results.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["stage", "metric", "value", "seconds", "command"] and len(rows) == 4
    text = readme.read_text()
    assert "Prose stays." in text and text.count(record.BEGIN) == 1
    assert "| pixels | logreg_64px | 0.620 | 0.610 | 10.0 | `python y.py` |" in text
    record.append([("features", "val_acc[svm_hog]", 0.75, 5, "python z.py")], path=results, readme=readme)
    assert readme.read_text().count(record.BEGIN) == 1 and "svm_hog" in readme.read_text()
    assert "svm_hog" in record.method_table("features", results) and "svm_hog" not in record.method_table("pixels", results)


def test_record_rejects_bad_rows_and_headers(tmp_path):
    from benchmarks import record

    with pytest.raises(ValueError, match="lacks"):
        record.append([{"stage": "pixels", "metric": "val_acc"}], path=tmp_path / "r.csv", readme=None)
    with pytest.raises(ValueError, match="name\\[method\\]"):
        record.split_metric("val_acc[a][b]")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n")
    with pytest.raises(ValueError, match="header"):
        record.append([("pixels", "val_acc", 0.5, 1, "x")], path=bad, readme=None)


def test_committed_results_have_the_fixed_header_and_fractions():
    from benchmarks import record

    rows = record.read()
    for row in rows:
        assert row["stage"] in {"pixels", "features"} or row["stage"]
        if record.split_metric(row["metric"])[0].endswith("_acc"):
            assert 0.0 <= float(row["value"]) <= 1.0


# ------------------------------------------------------------------------ plots (lessons 1–2)

def test_lesson_plots_draw_without_error():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from practicum import plots

    rows = [{"C": c, "train_acc": 0.6 + c / 10, "val_acc": 0.55} for c in (0.01, 0.1, 1.0)]
    figures = [
        plots.sweep_curves({"32 px": rows, "64 px": rows}, param="C"),
        plots.perturbation_curves({"shift": ("pixels", [0, 2], {"accuracy": [0.6, 0.55], "changed": [0, 0.2]}),
                                   "mirror": ("mirrored", [0, 1], [0.6, 0.58])}),
        plots.accuracy_bars({"hog": {"logistic": 0.71, "svm": 0.75}, "rgb": {"logistic": 0.6, "svm": 0.62}},
                            references={"chance": 0.5}),
        plots.accuracy_bars({"a": 0.6, "b": 0.7}),
        plots.tuning_swing({"bins": {4: 0.6, 8: 0.62}, "cell": {8: 0.68, 16: 0.71, 32: 0.7}}),
    ]
    for figure in figures:
        assert isinstance(figure, matplotlib.figure.Figure)
        plt.close(figure)
