"""Exercise 3 (convolutions in numpy): answers for tests/test_exercise_answers.py (see ex01.py)."""

RIGHT = {
    "tensordot-per-position-and-sliding-windows": {
        "conv2d": """
            def conv2d(image, kernels, stride=1, padding="valid"):
                x = np.asarray(image).astype(float)
                kh, kw, _, cout = kernels.shape
                if padding == "same":
                    pads = []
                    for n, k in ((x.shape[0], kh), (x.shape[1], kw)):
                        need = max((int(np.ceil(n / stride)) - 1) * stride + k - n, 0)
                        pads.append((need // 2, need - need // 2))
                    x = np.pad(x, pads + [(0, 0)], mode="constant")
                rows = range(0, x.shape[0] - kh + 1, stride)
                cols = range(0, x.shape[1] - kw + 1, stride)
                return np.array([[np.tensordot(x[r:r + kh, c:c + kw], kernels, axes=3) for c in cols] for r in rows]).reshape(len(rows), len(cols), cout)
        """,
        "max_pool": """
            from numpy.lib.stride_tricks import sliding_window_view

            def max_pool(image, size=2, stride=None, padding="valid"):
                s = stride if stride else size
                x = np.asarray(image, dtype=float)
                if padding == "same":
                    def extra(n):
                        need = max((-(-n // s) - 1) * s + size - n, 0)
                        return (need // 2, need - need // 2)
                    x = np.pad(x, [extra(x.shape[0]), extra(x.shape[1]), (0, 0)], constant_values=-np.inf)
                windows = sliding_window_view(x, (size, size), axis=(0, 1))[::s, ::s]
                return windows.max(axis=(-2, -1))
        """,
    },
    "im2col-and-loops": {
        "conv2d": """
            def conv2d(image, kernels, stride=1, padding="valid"):
                x = np.asarray(image, dtype=np.float64)
                k = np.asarray(kernels, dtype=np.float64)
                kh, kw, cin, cout = k.shape
                if padding == "same":
                    oh, ow = -(-x.shape[0] // stride), -(-x.shape[1] // stride)
                    ph = max((oh - 1) * stride + kh - x.shape[0], 0)
                    pw = max((ow - 1) * stride + kw - x.shape[1], 0)
                    x = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
                oh, ow = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
                columns = np.empty((oh, ow, kh * kw * cin))
                for r in range(oh):
                    for c in range(ow):
                        columns[r, c] = x[r * stride:r * stride + kh, c * stride:c * stride + kw].ravel()
                return columns @ k.reshape(-1, cout)
        """,
        "max_pool": """
            def max_pool(image, size=2, stride=None, padding="valid"):
                stride = stride or size
                x = np.asarray(image, dtype=float)
                if padding == "same":
                    total = [max((-(-n // stride) - 1) * stride + size - n, 0) for n in x.shape[:2]]
                    x = np.pad(x, [(t // 2, t - t // 2) for t in total] + [(0, 0)], constant_values=-np.inf)
                oh, ow = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
                out = np.empty((oh, ow, x.shape[2]))
                for r in range(oh):
                    for c in range(ow):
                        out[r, c] = x[r * stride:r * stride + size, c * stride:c * stride + size].max(axis=(0, 1))
                return out
        """,
    },
    "einsum-over-offsets": {
        "conv2d": """
            def conv2d(image, kernels, stride=1, padding="valid"):
                x = np.asarray(image, dtype=np.float32).astype(np.float64)
                kh, kw = kernels.shape[:2]
                if padding == "same":
                    def split(n, k):
                        total = max(((n + stride - 1) // stride - 1) * stride + k - n, 0)
                        return total // 2, total - total // 2
                    x = np.pad(x, (split(x.shape[0], kh), split(x.shape[1], kw), (0, 0)))
                oh, ow = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
                return sum(np.einsum("hwc,co->hwo", x[i:i + (oh - 1) * stride + 1:stride, j:j + (ow - 1) * stride + 1:stride], kernels[i, j])
                           for i in range(kh) for j in range(kw))
        """,
        "max_pool": """
            def max_pool(image, size=2, stride=None, padding="valid"):
                step = size if stride is None else stride
                x = np.asarray(image, dtype=float)
                if padding == "same":
                    pads = []
                    for n in x.shape[:2]:
                        total = max(((n + step - 1) // step - 1) * step + size - n, 0)
                        pads.append((total // 2, total - total // 2))
                    x = np.pad(x, pads + [(0, 0)], constant_values=-np.inf)
                oh, ow = (x.shape[0] - size) // step + 1, (x.shape[1] - size) // step + 1
                views = [x[i:i + (oh - 1) * step + 1:step, j:j + (ow - 1) * step + 1:step] for i in range(size) for j in range(size)]
                return np.max(np.stack(views), axis=0)
        """,
    },
}

_SOLUTION_CONV = RIGHT["tensordot-per-position-and-sliding-windows"]["conv2d"]
_SOLUTION_POOL = RIGHT["tensordot-per-position-and-sliding-windows"]["max_pool"]

WRONG = {
    "extra-padding-at-the-top": ({"conv2d": _SOLUTION_CONV.replace("(need // 2, need - need // 2)", "(need - need // 2, need // 2)")},
                                 ["test_conv2d"]),
    "flipped-kernels": ({"conv2d": _SOLUTION_CONV.replace("np.tensordot(x[r:r + kh, c:c + kw], kernels, axes=3)",
                                                          "np.tensordot(x[r:r + kh, c:c + kw], kernels[::-1, ::-1], axes=3)")},
                        ["test_conv2d"]),
    "half-kernel-padding": ({"conv2d": _SOLUTION_CONV.replace("need = max((int(np.ceil(n / stride)) - 1) * stride + k - n, 0)",
                                                              "need = 2 * (k // 2)")}, ["test_conv2d"]),
    "one-position-short": ({"conv2d": _SOLUTION_CONV.replace("rows = range(0, x.shape[0] - kh + 1, stride)",
                                                             "rows = range(0, x.shape[0] - kh, stride)")}, ["test_conv2d"]),
    "zero-padding-for-max": ({"max_pool": _SOLUTION_POOL.replace("constant_values=-np.inf", "constant_values=0")}, ["test_max_pool"]),
    "stride-ignored": ({"max_pool": _SOLUTION_POOL.replace("s = stride if stride else size", "s = size")}, ["test_max_pool"]),
}
