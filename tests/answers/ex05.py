"""Exercise 5 (preventing overfitting): answers to ``make_augmentation`` for
tests/test_exercise_answers.py (see ex01.py); ``train_model`` is scored on the holdout outside the
kernel, so the answer sets that train (``TRAINED``) are graded end to end by tests/test_lessons_3_5.py."""

RIGHT = {
    "flip-zoom-brightness": {"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomZoom(0.15),
                                     keras.layers.RandomBrightness(0.1, value_range=(0, 255))])
    """},
    "rotation-shift-contrast": {"make_augmentation": """
        def make_augmentation():
            augment = keras.Sequential(name="augment")
            augment.add(keras.layers.RandomRotation(0.08, fill_mode="nearest"))
            augment.add(keras.layers.RandomTranslation(0.15, 0.15, fill_mode="reflect"))
            augment.add(keras.layers.RandomContrast(0.3, value_range=(0, 255)))
            augment.add(keras.layers.RandomFlip(mode="horizontal"))
            return augment
    """},
    # a flip alone: each photo unchanged half the time, so "changes photos" and "differs between calls" draw many photos
    "horizontal-flip-only": {"make_augmentation": """
        def make_augmentation():
            return keras.layers.RandomFlip("horizontal")
    """},
    "pipeline-of-crop-zoom-and-flip": {"make_augmentation": """
        def make_augmentation():
            return keras.layers.Pipeline([keras.layers.RandomZoom(height_factor=(-0.3, 0.1), fill_mode="constant"),
                                          keras.layers.RandomFlip("horizontal")])
    """},
}

WRONG = {
    "vertical-flips": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomFlip("horizontal_and_vertical"), keras.layers.RandomZoom(0.1)])
    """}, ["test_make_augmentation_upright"]),
    "any-rotation": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.5)])
    """}, ["test_make_augmentation_upright"]),
    "huge-zoom": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomZoom(0.8)])
    """}, ["test_make_augmentation_framing"]),
    "zoom-onto-the-sofa": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomZoom((-0.7, -0.4)), keras.layers.RandomFlip("horizontal")])
    """}, ["test_make_augmentation_framing"]),
    "rescales-inside-the-augmentation": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.Rescaling(1 / 255)])
    """}, ["test_make_augmentation"]),
    "nothing-random": ({"make_augmentation": """
        def make_augmentation():
            return keras.Sequential([keras.layers.Identity()])
    """}, ["test_make_augmentation"]),
}

#: Answer sets whose ``train_model`` trains a network, scored on the holdout outside the kernel: tests/test_lessons_3_5.py
#: grades them end to end and benchmarks/training_budget.py measures them over seeds.
TRAINED = {
    # other augmentation layers; a different network ("same" padding, a smaller dense layer) trained with plain fit and Adam
    "other-augmentation-same-padding-adam": {
        "make_augmentation": """
            def make_augmentation():
                return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomZoom(0.15),
                                         keras.layers.RandomBrightness(0.1, value_range=(0, 255))])
        """,
        "train_model": """
            def train_model(train_data, validation_data, image_size, epochs):
                inputs = keras.Input(shape=(None, None, 3))
                x = keras.layers.Resizing(image_size, image_size)(inputs)
                x = make_augmentation()(x)
                x = keras.layers.Rescaling(1 / 255)(x)
                for filters in (16, 32, 64):
                    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
                    x = keras.layers.MaxPooling2D()(x)
                x = keras.layers.Flatten()(x)
                x = keras.layers.Dropout(0.4)(x)
                x = keras.layers.Dense(128, activation="relu")(x)
                model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
                model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
                model.fit(train_data, epochs=epochs, verbose=0, shuffle=False)
                return model
        """,
    },
}
