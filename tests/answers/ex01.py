"""Exercise 1 (raw pixels): answers for tests/test_exercise_answers.py.

RIGHT: description → {answer cell: source}, full marks expected.
WRONG: description → ({answer cell: source}, test cells that must fail).
"""

RIGHT = {
    "loops-and-python-sums": {
        "flatten_and_scale": """
            def flatten_and_scale(images):
                return np.array([[float(v) / 255 for v in np.asarray(image).ravel()] for image in np.asarray(images)])
        """,
        "class_mean_images": """
            def class_mean_images(images, labels):
                images, labels = np.asarray(images), np.asarray(labels)
                return np.array([images[labels == c].astype(float).sum(axis=0) / np.sum(labels == c) for c in (0, 1)])
        """,
        "nearest_mean_predict": """
            def nearest_mean_predict(images, means):
                out = []
                for image in np.asarray(images, dtype=float):
                    out.append(int(np.argmin([np.sum((image - m) ** 2) for m in np.asarray(means, dtype=float)])))
                return np.array(out)
        """,
        "accuracy": """
            def accuracy(labels, predictions):
                right = [int(a) == int(b) for a, b in zip(labels, predictions)]
                return sum(right) / len(right)
        """,
    },
    "einsum-and-linalg": {
        "flatten_and_scale": """
            def flatten_and_scale(images):
                x = np.array(images, dtype=np.float64, copy=True)
                return np.divide(x, 255.0).reshape(x.shape[0], -1)
        """,
        "class_mean_images": """
            def class_mean_images(images, labels):
                onehot = np.eye(2)[np.asarray(labels, dtype=int)]                    # (N, 2)
                sums = np.einsum("nk,nhwc->khwc", onehot, np.asarray(images, dtype=np.float64))
                return sums / onehot.sum(axis=0)[:, None, None, None]
        """,
        "nearest_mean_predict": """
            def nearest_mean_predict(images, means):
                x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
                m = np.asarray(means, dtype=np.float64).reshape(len(means), -1)
                return np.linalg.norm(x[:, None, :] - m[None], axis=2).argmin(axis=1)
        """,
        "accuracy": """
            def accuracy(labels, predictions):
                return float(np.count_nonzero(np.equal(labels, predictions))) / np.size(labels)
        """,
    },
    "scikit-learn-helpers": {
        "flatten_and_scale": """
            from sklearn.preprocessing import FunctionTransformer

            def flatten_and_scale(images):
                images = np.asarray(images)
                return FunctionTransformer(lambda x: x.reshape(len(x), -1) / 255.0).fit_transform(images)
        """,
        "class_mean_images": """
            def class_mean_images(images, labels):
                images, labels = np.asarray(images), np.asarray(labels, dtype=int)
                sums = np.zeros((2,) + images.shape[1:])
                np.add.at(sums, labels, images)                                    # float64 accumulator
                return sums / np.bincount(labels, minlength=2).reshape(2, 1, 1, 1)
        """,
        "nearest_mean_predict": """
            from sklearn.metrics import pairwise_distances

            def nearest_mean_predict(images, means):
                x = np.asarray(images, dtype=float).reshape(len(images), -1)
                m = np.asarray(means, dtype=float).reshape(len(means), -1)
                return pairwise_distances(x, m).argmin(axis=1)
        """,
        "accuracy": """
            from sklearn.metrics import accuracy_score

            def accuracy(labels, predictions):
                return float(accuracy_score(list(labels), list(predictions)))
        """,
    },
}

WRONG = {
    "scales-by-the-batch-maximum": ({"flatten_and_scale": """
        def flatten_and_scale(images):
            images = np.asarray(images, dtype=float)
            return images.reshape(len(images), -1) / images.max()
    """}, ["test_flatten_and_scale"]),
    "channels-first-rows": ({"flatten_and_scale": """
        def flatten_and_scale(images):
            images = np.asarray(images, dtype=float)
            return images.transpose(0, 3, 1, 2).reshape(len(images), -1) / 255
    """}, ["test_flatten_and_scale"]),
    "sums-in-uint8": ({"class_mean_images": """
        def class_mean_images(images, labels):
            images, labels = np.asarray(images), np.asarray(labels)
            return np.stack([images[labels == c].sum(axis=0, dtype=images.dtype) / np.sum(labels == c) for c in (0, 1)])
    """}, ["test_class_mean_images"]),
    "dogs-first": ({"class_mean_images": """
        def class_mean_images(images, labels):
            images, labels = np.asarray(images, dtype=float), np.asarray(labels)
            return np.stack([images[labels == c].mean(axis=0) for c in (1, 0)])
    """}, ["test_class_mean_images"]),
    "L1-distance-in-uint8": ({"nearest_mean_predict": """
        def nearest_mean_predict(images, means):
            x = np.asarray(images).reshape(len(images), 1, -1)
            m = np.asarray(means).reshape(1, len(means), -1)
            return np.abs(x - m).sum(-1).argmin(1)
    """}, ["test_nearest_mean_predict"]),
    "only-two-means": ({"nearest_mean_predict": """
        def nearest_mean_predict(images, means):
            x = np.asarray(images, dtype=float).reshape(len(images), -1)
            m = np.asarray(means, dtype=float).reshape(len(means), -1)
            return (((x - m[1]) ** 2).sum(1) < ((x - m[0]) ** 2).sum(1)).astype(int)
    """}, ["test_nearest_mean_predict"]),
    "a-count-not-a-fraction": ({"accuracy": """
        def accuracy(labels, predictions):
            return int(np.sum(np.asarray(labels) == np.asarray(predictions)))
    """}, ["test_accuracy"]),
    "a-percentage": ({"accuracy": """
        def accuracy(labels, predictions):
            return 100.0 * np.mean(np.asarray(labels) == np.asarray(predictions))
    """}, ["test_accuracy"]),
}
