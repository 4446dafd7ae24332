"""Exercise 2 (engineered features): answers for tests/test_exercise_answers.py (see ex01.py)."""

RIGHT = {
    "bincount-and-vectorised": {
        "color_histogram": """
            def color_histogram(images, bins):
                x = np.asarray(images, dtype=np.float64)
                n = len(x)
                index = np.floor(x * bins / 256).astype(int).reshape(n, -1, 3)
                counts = np.stack([np.stack([np.bincount(index[i, :, c], minlength=bins) for c in range(3)]).ravel() for i in range(n)])
                return counts / counts.sum(axis=1, keepdims=True)
        """,
        "orientation_histogram": """
            def orientation_histogram(images, bins=9):
                grey = np.asarray(images, dtype=np.float64).mean(axis=-1)
                gy, gx = np.gradient(grey, axis=(1, 2))
                index = np.minimum((np.degrees(np.arctan2(gy, gx)) % 180 * bins / 180).astype(int), bins - 1)
                offsets = np.arange(len(grey))[:, None, None] * bins              # one block of bins per photo
                hist = np.bincount((index + offsets).ravel(), weights=np.hypot(gx, gy).ravel(),
                                   minlength=len(grey) * bins).reshape(len(grey), bins)
                total = hist.sum(axis=1, keepdims=True)
                return hist / np.where(total > 0, total, 1)
        """,
        "fit_and_score": """
            from sklearn.metrics import accuracy_score

            def fit_and_score(model, X_train, y_train, X_val, y_val):
                fitted = model.fit(X_train, y_train)
                return accuracy_score(y_train, fitted.predict(X_train)), fitted.score(X_val, y_val)
        """,
    },
    "loops-over-pixels-and-bins": {
        "color_histogram": """
            def color_histogram(images, bins):
                rows = []
                for image in np.asarray(images):
                    row = np.zeros(3 * bins)
                    flat = image.reshape(-1, 3)
                    for c in range(3):
                        for value in flat[:, c]:
                            row[c * bins + int(float(value) * bins // 256)] += 1
                    rows.append(row / row.sum())
                return np.array(rows)
        """,
        "orientation_histogram": """
            import math

            def orientation_histogram(images, bins=9):
                rows = []
                for image in np.asarray(images, dtype=float):
                    gy, gx = np.gradient(image.mean(axis=2))
                    hist = np.zeros(bins)
                    for dy, dx in zip(gy.ravel(), gx.ravel()):
                        angle = math.degrees(math.atan2(dy, dx)) % 180
                        hist[min(int(angle // (180 / bins)), bins - 1)] += math.hypot(dx, dy)
                    rows.append(hist / hist.sum() if hist.sum() else hist)
                return np.array(rows)
        """,
        "fit_and_score": """
            def fit_and_score(model, X_train, y_train, X_val, y_val):
                model.fit(X_train, y_train)
                right_train = sum(int(p == y) for p, y in zip(model.predict(X_train), y_train))
                right_val = sum(int(p == y) for p, y in zip(model.predict(X_val), y_val))
                return right_train / len(y_train), right_val / len(y_val)
        """,
    },
    "histogram-per-channel-and-score": {
        "color_histogram": """
            def color_histogram(images, bins):
                images = np.asarray(images)
                edges = np.arange(bins + 1) * 256 / bins
                out = np.array([np.concatenate([np.histogram(p[..., c], bins=edges)[0] for c in range(3)]) for p in images], float)
                return out / (3 * images.shape[1] * images.shape[2])
        """,
        "orientation_histogram": """
            def orientation_histogram(images, bins=9):
                grey = np.asarray(images).astype(np.float64).sum(axis=-1) / 3
                gy, gx = np.gradient(grey, axis=(1, 2))
                angle = np.mod(np.arctan2(gy, gx), np.pi)
                index = np.clip((angle / np.pi * bins).astype(int), 0, bins - 1)
                hist = np.zeros((len(grey), bins))
                for i in range(len(grey)):
                    np.add.at(hist[i], index[i].ravel(), np.hypot(gx[i], gy[i]).ravel())
                total = hist.sum(axis=1, keepdims=True)
                return np.divide(hist, total, out=np.zeros_like(hist), where=total > 0)
        """,
        "fit_and_score": """
            def fit_and_score(model, X_train, y_train, X_val, y_val):
                model.fit(X_train, y_train)
                return float(model.score(X_train, y_train)), float(model.score(X_val, y_val))
        """,
    },
}

_SOLUTION_ORIENTATION = """
    def orientation_histogram(images, bins=9):
        rows = []
        for image in np.asarray(images, dtype=float):
            gy, gx = np.gradient(image.mean(axis=-1))
            angle = np.degrees(np.arctan2(gy, gx)) % 180
            index = np.minimum((angle // (180 / bins)).astype(int), bins - 1)
            hist = np.bincount(index.ravel(), weights=np.hypot(gx, gy).ravel(), minlength=bins)
            rows.append(hist / hist.sum() if hist.sum() > 0 else hist)
        return np.array(rows)
"""

WRONG = {
    "the-package-s-colour-histogram": ({"color_histogram": """
        def color_histogram(images, bins):
            return features.color_histogram(images, bins=bins, joint=False)
    """}, ["test_color_histogram"]),
    "the-package-s-orientation-histogram-renamed": ({"orientation_histogram": """
        from practicum.features import orientation_histogram as reference_histogram

        def orientation_histogram(images, bins=9):
            return reference_histogram(images, bins)
    """}, ["test_orientation_histogram"]),
    "each-channel-sums-to-one": ({"color_histogram": """
        def color_histogram(images, bins):
            out = []
            for p in np.asarray(images):
                out.append(np.concatenate([np.histogram(p[..., c], bins=bins, range=(0, 256))[0] / p[..., c].size for c in range(3)]))
            return np.array(out)
    """}, ["test_color_histogram"]),
    "bins-over-0-255": ({"color_histogram": """
        def color_histogram(images, bins):
            out = []
            for p in np.asarray(images, dtype=float):
                row = np.concatenate([np.histogram(p[..., c], bins=bins, range=(0, 255))[0] for c in range(3)])
                out.append(row / row.sum())
            return np.array(out)
    """}, ["test_color_histogram"]),
    "gradients-in-uint8": ({"orientation_histogram": _SOLUTION_ORIENTATION.replace(
        "image.mean(axis=-1)", "image.mean(axis=-1).astype(np.uint8)").replace("np.asarray(images, dtype=float)", "np.asarray(images)")},
        ["test_orientation_histogram"]),
    "signed-orientations-0-360": ({"orientation_histogram": _SOLUTION_ORIENTATION.replace("% 180", "% 360").replace("(180 / bins)", "(360 / bins)")},
                                  ["test_orientation_histogram"]),
    "fits-on-validation-too": ({"fit_and_score": """
        def fit_and_score(model, X_train, y_train, X_val, y_val):
            model.fit(np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]))
            return float(np.mean(model.predict(X_train) == y_train)), float(np.mean(model.predict(X_val) == y_val))
    """}, ["test_fit_and_score"]),
}

# The model exercise 4 hands in, scored on the instructor's holdout as the grader scores it (tests/test_lessons_1_2.py).
# The exercise's text names what clears its threshold and what does not, from benchmarks/exercise2_threshold.py.
# Each source defines train_feature_classifier(images, labels) with `np` and `features` (practicum.features) in scope.
HOLDOUT_RIGHT = {
    "rbf-svm-on-hog-alone": """
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler
        from sklearn.svm import SVC

        def train_feature_classifier(images, labels):
            return make_pipeline(FunctionTransformer(lambda x: features.hog(x, cell=16)), StandardScaler(), SVC()).fit(images, labels)
    """,
    "linear-on-all-five-families": """
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        def train_feature_classifier(images, labels):
            every_family = FunctionTransformer(lambda x: features.extract(x, list(features.FEATURES)))
            return make_pipeline(every_family, features.logistic(features.LINEAR_C)).fit(images, labels)
    """,
}
HOLDOUT_WRONG = {
    # The exercise says so: with 400 photos a linear model on HOG alone is no safer than raw pixels with an SVM.
    "linear-on-hog-alone": """
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        def train_feature_classifier(images, labels):
            return make_pipeline(FunctionTransformer(lambda x: features.hog(x)), features.logistic(features.LINEAR_C)).fit(images, labels)
    """,
    # No engineered features at all: the best pixel model of lesson 1's kind.
    "rbf-svm-on-pixels": """
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        def train_feature_classifier(images, labels):
            small = FunctionTransformer(lambda x: np.asarray(x, np.float32).reshape(len(x), 32, 4, 32, 4, 3).mean(axis=(2, 4)).reshape(len(x), -1))
            return make_pipeline(small, features.rbf_svm(features.SVM_C)).fit(images, labels)
    """,
}
