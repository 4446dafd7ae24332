"""Exercise 5 (preventing overfitting): answers to ``make_augmentation`` for
tests/test_exercise_answers.py (see ex01.py). ``train_model`` is scored on the holdout outside the
kernel: the grader's tests cover it."""

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
