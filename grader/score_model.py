"""``python -m grader.score_model MODEL IMAGES.npy``: print a model's labels for the images as JSON.

Run by ``grader.holdout`` in a sandbox that sees only these two files. A Keras model (``.keras``) is
loaded with ``safe_mode=True``, so that no code saved inside it runs, and outputs P(dog) for raw
photos (float 0–255); anything else (``.pkl``, from ``practicum.handin``) is unpickled and its
``.predict`` returns labels. Nothing is written but the labels, on stdout.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

BATCH = 64


def predict(model_file: str, images: np.ndarray) -> list[int]:
    if model_file.endswith(".keras"):
        import keras

        model = keras.saving.load_model(model_file, safe_mode=True)
        outputs = np.concatenate([np.asarray(keras.ops.convert_to_numpy(model(images[i:i + BATCH].astype("float32"), training=False)))
                                  for i in range(0, len(images), BATCH)])
        if outputs.ndim == 2 and outputs.shape[1] == 2:  # two softmax units: the second is P(dog)
            outputs = outputs[:, 1]
        return [int(p > 0.5) for p in outputs.reshape(-1)]
    import cloudpickle

    with open(model_file, "rb") as stream:
        model = cloudpickle.load(stream)
    return [int(label) for label in np.asarray(model.predict(images)).reshape(-1)]


def main(argv: list[str]) -> int:
    model_file, images_file = argv
    answer = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the model prints goes to stderr, never into the answer
    labels = predict(model_file, np.load(images_file))
    answer.write(json.dumps(labels))
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
