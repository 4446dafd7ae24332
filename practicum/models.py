"""The ConvNets of lessons 4 and 5, as the benchmarks (``benchmarks/cnn.py``, ``benchmarks/ablation.py``)
and exercise 5's solution train them.

The lessons write these networks on the page, where a learner reads them; this module is the
benchmarks' copy, and ``tests/test_lesson_code.py`` checks that the lessons' networks and these are
the same (layers, shapes, weights), so that the numbers the lessons quote describe their own code.

Every model here takes raw RGB photos — float 0–255, any size, input shape ``(None, None, 3)`` — and
does its own resizing and rescaling with Keras layers, so that a saved ``.keras`` file scores any
photo with nothing but ``keras.saving.load_model``. Models use ``keras.layers`` and ``keras.ops``
only (no ``tf.*``), so they run on the TensorFlow, JAX and PyTorch backends; tf.data is used only
for the input pipelines in :mod:`practicum.data`.

- :func:`practicum_convnet` — the practicum's Exercise 1 network (16/32/64 filters, Dense 512),
  optionally with augmentation, dropout and weight decay (Exercise 2).
- :func:`augmentation` — random flips, rotations, zooms, shifts and contrast, active only in training.
- :func:`best_from_scratch` — batch normalisation, global average pooling, more filters: the best
  network lesson 5 trains on a laptop CPU, compiled with AdamW, a warm-up + cosine learning-rate
  schedule and label smoothing.
- :func:`train` — ``fit`` with timing, optional early stopping, and the history as a plain dict.
- :func:`predict`, :func:`accuracy` — probabilities and accuracy on a dataset or arrays.
"""

import time

import keras
import numpy as np

PRACTICUM_IMAGE_SIZE = 150
PRACTICUM_EPOCHS = 15
PRACTICUM_LEARNING_RATE = 1e-3


def preprocessing(image_size: int, name: str = "preprocess") -> list:
    """Resize any photo to ``image_size``² and scale 0–255 to 0–1: the first layers of every model."""
    return [keras.layers.Resizing(image_size, image_size, name=f"{name}_resize"),
            keras.layers.Rescaling(1.0 / 255, name=f"{name}_rescale")]


def augmentation(flip: bool = True, rotation: float = 0.05, zoom: float = 0.2, translation: float = 0.1,
                 contrast: float = 0.2, seed: int | None = None, name: str = "augmentation") -> keras.Sequential:
    """Random changes that keep a photo's label: horizontal flip, small rotation (a fraction of a full
    turn), zoom in or out (a random crop when zooming in), shift, contrast. Like every Keras
    preprocessing layer they act only when ``training=True``: at inference the block is the identity.
    Works on float 0–255 images of any size."""
    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="reflect", seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom((-zoom, zoom), fill_mode="reflect", seed=seed))
    if translation:
        layers.append(keras.layers.RandomTranslation(translation, translation, fill_mode="reflect", seed=seed))
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast, value_range=(0, 255), seed=seed))
    return keras.Sequential(layers, name=name)


def practicum_convnet(image_size: int = PRACTICUM_IMAGE_SIZE, augmentation: keras.layers.Layer | None = None,
                      dropout: float = 0.0, weight_decay: float = 0.0, learning_rate: float = PRACTICUM_LEARNING_RATE,
                      name: str = "practicum_convnet") -> keras.Model:
    """The practicum's network: three Conv2D(3×3, ReLU) + MaxPool(2) blocks of 16, 32 and 64 filters,
    Flatten, Dense(512, ReLU), Dense(1, sigmoid); RMSprop, binary cross-entropy. ``augmentation``,
    ``dropout`` (before the last layer) and ``weight_decay`` (L2 on the kernels) are Exercise 2's cures
    for overfitting; with their defaults this is Exercise 1's network, compiled."""
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    inputs = keras.Input(shape=(None, None, 3), name="photo")
    x = preprocessing(image_size)[0](inputs)
    if augmentation is not None:
        x = augmentation(x)
    x = keras.layers.Rescaling(1.0 / 255, name="preprocess_rescale")(x)
    for index, filters in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, activation="relu", kernel_regularizer=regularizer, name=f"conv{index}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{index}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(512, activation="relu", kernel_regularizer=regularizer, name="dense")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="dog_probability")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _conv_bn_relu(x, filters: int, name: str, strides: int = 1, weight_decay: float = 0.0):
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                            kernel_regularizer=regularizer, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def best_from_scratch(image_size: int = 112, filters=(24, 48, 96, 192), convs_per_block: int = 2,
                      augment: keras.layers.Layer | None | str = "default", dropout: float = 0.3,
                      name: str = "best_from_scratch") -> keras.Model:
    """Lesson 5's network, uncompiled (see :func:`compile_best`): a stride-2 stem, then one block per
    entry of ``filters`` — ``convs_per_block`` × (Conv 3×3 → BatchNorm → ReLU), max-pooling between
    blocks — then global average pooling, dropout and one sigmoid unit. Global average pooling
    replaces the practicum's 9-million-weight Dense layer; batch normalisation lets it train fast
    with a large learning rate."""
    inputs = keras.Input(shape=(None, None, 3), name="photo")
    x = keras.layers.Resizing(image_size, image_size, name="preprocess_resize")(inputs)
    if isinstance(augment, str):
        augment = augmentation()
    if augment is not None:
        x = augment(x)
    x = keras.layers.Rescaling(1.0 / 255, name="preprocess_rescale")(x)
    x = _conv_bn_relu(x, filters[0], "stem", strides=2)
    for block, width in enumerate(filters, start=1):
        if block > 1:
            x = keras.layers.MaxPooling2D(2, name=f"pool{block - 1}")(x)
        for index in range(1, convs_per_block + 1):
            x = _conv_bn_relu(x, width, f"block{block}_{index}")
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="dog_probability")(x)
    return keras.Model(inputs, outputs, name=name)


def cosine_schedule(peak: float, total_steps: int, warmup_steps: int = 0, floor: float = 0.01):
    """Linear warm-up from 0 to ``peak`` over ``warmup_steps``, then cosine decay to ``floor``·peak."""
    if warmup_steps:
        return keras.optimizers.schedules.CosineDecay(0.0, decay_steps=max(1, total_steps - warmup_steps), alpha=floor,
                                                      warmup_target=peak, warmup_steps=warmup_steps)
    return keras.optimizers.schedules.CosineDecay(peak, decay_steps=max(1, total_steps), alpha=floor)


def compile_best(model: keras.Model, steps_per_epoch: int, epochs: int, peak_learning_rate: float = 2e-3,
                 weight_decay: float = 0.05, warmup_epochs: int = 2, label_smoothing: float = 0.1) -> keras.Model:
    """AdamW with warm-up + cosine decay over the whole run, and label smoothing."""
    schedule = cosine_schedule(peak_learning_rate, steps_per_epoch * epochs, steps_per_epoch * min(warmup_epochs, epochs - 1))
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay),
                  loss=keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing), metrics=["accuracy"])
    return model


class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch took (wall clock), in ``self.seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def train(model: keras.Model, train_data, validation_data=None, epochs: int = PRACTICUM_EPOCHS,
          early_stopping: int | None = None, callbacks=(), verbose: int = 0) -> dict:
    """Fit a compiled model and return its history as a dict of lists (``accuracy``, ``loss``,
    ``val_*``, and ``seconds``: wall-clock seconds per epoch). With ``early_stopping=N`` training
    stops after N epochs without a better validation loss and the best weights are restored."""
    timer = EpochTimer()
    extra = [timer, *callbacks]
    if early_stopping:
        extra.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=early_stopping, restore_best_weights=True))
    # a tf.data pipeline shuffles itself (practicum.data does); shuffle=False keeps Keras from warning about it
    fit = model.fit(train_data, validation_data=validation_data, epochs=epochs, callbacks=extra, verbose=verbose,
                    shuffle=not hasattr(train_data, "element_spec"))
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    history["seconds"] = list(timer.seconds)
    return history


def _images_only(images, labels):
    return images  # a named function: tf.data's autograph cannot read a lambda's source and warns on stderr


def predict(model: keras.Model, data, batch_size: int = 64) -> np.ndarray:
    """Dog probabilities, shape ``(N,)``, for a dataset of ``(images, labels)`` batches or an image array."""
    if hasattr(data, "element_spec"):  # a tf.data.Dataset: keep only the images
        data = data.map(_images_only)
        return np.asarray(model.predict(data, verbose=0)).reshape(-1)
    return np.asarray(model.predict(np.asarray(data, dtype=np.float32), batch_size=batch_size, verbose=0)).reshape(-1)


def accuracy(model: keras.Model, data, labels=None) -> float:
    """Accuracy (threshold 0.5) on a labelled dataset, or on an image array with ``labels``."""
    if labels is None:
        labels = np.concatenate([np.asarray(batch_labels) for _, batch_labels in data])
    probabilities = predict(model, data)
    return float(np.mean((probabilities > 0.5).astype(int) == np.asarray(labels).reshape(-1)))
