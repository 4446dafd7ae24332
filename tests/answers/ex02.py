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
