"""Exercise 4 (a ConvNet from scratch): answers for tests/test_exercise_answers.py (see ex01.py)."""

PRACTICUM = """
    def build_convnet(input_shape):
        model = keras.Sequential([keras.Input(shape=input_shape), keras.layers.Rescaling(1.0 / 255)])
        for filters in (16, 32, 64):
            model.add(keras.layers.Conv2D(filters, 3, activation="relu"))
            model.add(keras.layers.MaxPooling2D(2))
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(512, activation="relu"))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001), loss=keras.losses.BinaryCrossentropy(),
                      metrics=["accuracy"])
        return model
"""

RIGHT = {
    "practicum-built-with-add": {"build_convnet": PRACTICUM},
    # no keras.Input: Keras builds the network on its first batch, whatever its photo size
    "sequential-without-input": {"build_convnet": """
        def build_convnet(input_shape):
            model = keras.Sequential([
                keras.layers.Rescaling(1.0 / 255),
                keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                keras.layers.Flatten(), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(1, activation="sigmoid"),
            ])
            model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
            return model
    """},
    "functional-same-padding-adam-dropout": {"build_convnet": """
        def build_convnet(input_shape):
            inputs = keras.Input(shape=input_shape)
            x = keras.layers.Rescaling(1 / 255)(inputs)
            for filters in (16, 32, 64):
                x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
                x = keras.layers.MaxPooling2D()(x)
            x = keras.layers.Flatten()(x)
            x = keras.layers.Dropout(0.5)(x)
            x = keras.layers.Dense(64, activation="relu")(x)
            model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
            model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
            return model
    """},
    "minus-one-to-one-with-weight-decay": {"build_convnet": """
        def build_convnet(input_shape):
            l2 = keras.regularizers.L2(1e-4)
            layers = [keras.Input(input_shape), keras.layers.Rescaling(1 / 127.5, offset=-1)]
            for filters in (16, 32, 64):
                layers += [keras.layers.Conv2D(filters, (3, 3), activation="relu", kernel_regularizer=l2),
                           keras.layers.MaxPooling2D((2, 2))]
            layers += [keras.layers.Flatten(), keras.layers.Dense(256, activation="relu", kernel_regularizer=l2),
                       keras.layers.Dense(1, activation="sigmoid")]
            model = keras.Sequential(layers)
            model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
            return model
    """},
}

WRONG = {
    # its output is 1.0 for every photo: the learning test gives up on each start after one epoch
    "softmax-on-one-unit": ({"build_convnet": PRACTICUM.replace('Dense(1, activation="sigmoid")', 'Dense(1, activation="softmax")')},
                            ["test_build_convnet", "test_build_convnet_learns"]),
    "mean-squared-error": ({"build_convnet": PRACTICUM.replace("loss=keras.losses.BinaryCrossentropy()", 'loss="mse"')},
                           ["test_build_convnet_loss"]),
    "label-smoothing": ({"build_convnet": PRACTICUM.replace("keras.losses.BinaryCrossentropy()",
                                                           "keras.losses.BinaryCrossentropy(label_smoothing=0.1)")},
                        ["test_build_convnet_loss"]),
    # it learns, more slowly (0.58-0.63 when the learning test stops, after 8.8 epochs on average; right answers stop at
    # 0.63-0.67 after 3.5-4.5): it loses the rescaling point
    "no-rescaling": ({"build_convnet": PRACTICUM.replace(", keras.layers.Rescaling(1.0 / 255)", "")},
                     ["test_build_convnet_rescaling"]),
    # its ReLUs die within a few epochs, and its output is then the same for every photo: 3.5 epochs in all, not 20
    "learning-rate-0.1": ({"build_convnet": PRACTICUM.replace("learning_rate=0.001", "learning_rate=0.1")},
                          ["test_build_convnet_learns"]),
    "not-compiled": ({"build_convnet": PRACTICUM.replace("model.compile(", "dict(")},
                     ["test_build_convnet_loss", "test_build_convnet_learns"]),
}

# Exercise 1, counting the weights by hand: checked in-process, on its own (tests/test_lessons_3_5.py); it trains nothing.
COUNT_RIGHT = {
    "the layers one by one": """
        def count_weights(input_shape):
            h, w, c = input_shape
            conv1 = (3 * 3 * c + 1) * 16
            h, w = (h - 2) // 2, (w - 2) // 2
            conv2 = (3 * 3 * 16 + 1) * 32
            h, w = (h - 2) // 2, (w - 2) // 2
            conv3 = (3 * 3 * 32 + 1) * 64
            h, w = (h - 2) // 2, (w - 2) // 2
            dense = (h * w * 64) * 512 + 512
            return conv1 + conv2 + conv3 + dense + 512 + 1
    """,
    "a table of layers and math.floor": """
        import math

        def count_weights(input_shape):
            height, width, depth = input_shape
            weights = 0
            for kind, size in [("conv", 16), ("pool", 2), ("conv", 32), ("pool", 2), ("conv", 64), ("pool", 2)]:
                if kind == "conv":
                    weights += size * (9 * depth + 1)
                    height, width, depth = height - 2, width - 2, size
                else:
                    height, width = math.floor(height / size), math.floor(width / size)
            for units in (512, 1):
                weights += units * (height * width * depth + 1)
                height, width, depth = 1, 1, units
            return weights
    """,
    "numpy over the shapes": """
        def count_weights(input_shape):
            sides = np.array(input_shape[:2])
            channels = [input_shape[2], 16, 32, 64]
            kernels = sum(9 * channels[i] * channels[i + 1] + channels[i + 1] for i in range(3))
            for _ in range(3):
                sides = (sides - 2) // 2
            inputs = int(np.prod(sides)) * 64
            return int(kernels + inputs * 512 + 512 + 512 + 1)
    """,
}

COUNT_WRONG = {
    # the biases forgotten: the visible test (150 px) catches it
    "no biases": ("""
        def count_weights(input_shape):
            h, w, c = input_shape
            total = 0
            for filters in (16, 32, 64):
                total += 3 * 3 * c * filters
                h, w, c = (h - 2) // 2, (w - 2) // 2, filters
            return total + h * w * c * 512 + 512
    """, "counted"),
    # pooling rounded up: right at 150 px (every side even), wrong for odd sides, which only the hidden test has
    "pooling rounds up": ("""
        def count_weights(input_shape):
            h, w, c = input_shape
            total = 0
            for filters in (16, 32, 64):
                total += (9 * c + 1) * filters
                h, w, c = -(-(h - 2) // 2), -(-(w - 2) // 2), filters
            return total + (h * w * c + 1) * 512 + 513
    """, "for (48, 40, 3)"),
    # the count Keras gives, not one made by hand
    "Keras counts": ("""
        def count_weights(input_shape):
            model = keras.Sequential([keras.Input(shape=input_shape)] + [layer for filters in (16, 32, 64) for layer in
                                     (keras.layers.Conv2D(filters, 3, activation="relu"), keras.layers.MaxPooling2D(2))]
                                     + [keras.layers.Flatten(), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(1)])
            return model.count_params()
    """, "builds Keras layers"),
}
