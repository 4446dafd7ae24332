"""Exercise 6 (transfer learning): answers written differently from the solution. tests/test_lessons_6_7.py
grades them end to end (their ``train_transfer_model`` trains a MobileNetV2, scored on the holdout outside
the kernel) and benchmarks/exercise6_budget.py measures them over seeds. Sources are dedented before use."""

TRAINED = {
    # the head: max pooling and a hidden layer on a base frozen layer by layer; the top found with negative indices,
    # names collected as the loop goes; fine-tuning with RMSprop, as TensorFlow's tutorial does, from a layer count
    "max-pooling-hidden-layer-rmsprop": {
        "build_classifier": """
            def build_classifier(base, image_size):
                for layer in base.layers:
                    layer.trainable = False
                base.trainable = False
                inputs = keras.Input((None, None, 3))
                x = pretrained.torch_preprocessing()(keras.layers.Resizing(image_size, image_size, interpolation="bilinear")(inputs))
                x = keras.layers.GlobalMaxPooling2D()(base(x))
                x = keras.layers.Dense(32, activation="relu")(x)
                return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
        """,
        "unfreeze_top": """
            def unfreeze_top(base, n):
                base.trainable = True
                names = []
                for index in range(len(base.layers)):
                    layer = base.layers[index]
                    top = index - len(base.layers) >= -n
                    layer.trainable = bool(top) and layer.__class__.__name__ != "BatchNormalization"
                    if layer.trainable:
                        names.append(layer.name)
                return names
        """,
        "train_transfer_model": """
            def train_transfer_model(images, labels, image_size, epochs):
                net = pretrained.mobilenet_v2(image_size)
                model = build_classifier(net, image_size)
                x = images.astype("float32")
                model.compile(keras.optimizers.RMSprop(1e-3), "binary_crossentropy")
                model.fit(x, labels, epochs=epochs, batch_size=32, verbose=0)
                unfreeze_top(net, 12)
                model.compile(keras.optimizers.RMSprop(1e-5), "binary_crossentropy")
                model.fit(x, labels, epochs=1, batch_size=32, verbose=0)
                return model
        """,
    },
}

