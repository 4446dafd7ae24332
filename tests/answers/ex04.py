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
