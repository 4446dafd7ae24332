"""A searchable index of a photo library (lesson 7): what a model says about every photo, saved.

Indexing runs each photo once through two networks: the lesson's ``embedder``, the fine-tuned cat/dog
classifier of lesson 6 with two outputs (its 1,280 pooled features are the photo's *embedding*, its
output P(dog)), and the ImageNet classifier (1,000 class probabilities, for searching by ImageNet
label). The index is saved as one ``.npz`` beside the models, keyed by the photos (path, size,
modification time) and the model file, so a second search — in this session or the next — reads it
instead of recomputing it.
"""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from practicum import paths, pretrained, transfer


@dataclass
class PhotoIndex:
    files: list[Path]
    embeddings: np.ndarray  # (N, D) float32: the classifier's pooled features
    dog_probability: np.ndarray  # (N,) float32
    imagenet: np.ndarray  # (N, 1000) float16: ImageNet class probabilities
    seconds: float  # how long indexing took (when it was built)

    def __len__(self) -> int:
        return len(self.files)


def _key(files: list[Path], model_file: Path, image_size: int) -> str:
    digest = hashlib.sha256(f"{model_file.resolve()}\0{model_file.stat().st_mtime_ns}\0{image_size}\n".encode())
    for path in files:
        stat = Path(path).stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def index_path(files: list[Path], model_file: Path, image_size: int) -> Path:
    return paths.build_dir() / "index" / f"photos-{_key(files, model_file, image_size)}.npz"


def build_index(images: np.ndarray, files: list[Path], embedder, image_size: int = pretrained.IMAGE_SIZE) -> PhotoIndex:
    """Index ``images`` (float or uint8 0–255) with ``embedder``, a Keras model whose two outputs are a
    photo's embedding and its P(dog) (lesson 7 builds it on the page), and with the ImageNet classifier."""
    start = time.perf_counter()
    embeddings, dog_probability = [], []
    for begin in range(0, len(images), 32):
        embedding, probability = embedder.predict(np.asarray(images[begin:begin + 32], np.float32), verbose=0)
        embeddings.append(np.asarray(embedding))
        dog_probability.append(np.asarray(probability).reshape(-1))
    imagenet = transfer.embed(pretrained.imagenet_classifier(image_size), images)
    return PhotoIndex(list(files), np.concatenate(embeddings).astype(np.float32), np.concatenate(dog_probability).astype(np.float32),
                      imagenet.astype(np.float16), time.perf_counter() - start)


def save_index(index: PhotoIndex, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}")
    with temporary.open("wb") as handle:
        np.savez(handle, files=np.array([str(f) for f in index.files]), embeddings=index.embeddings,
                 dog_probability=index.dog_probability, imagenet=index.imagenet, seconds=index.seconds)
    temporary.replace(target)
    return target


def load_index(source: Path) -> PhotoIndex:
    with np.load(source) as stored:
        return PhotoIndex([Path(f) for f in stored["files"]], stored["embeddings"], stored["dog_probability"],
                          stored["imagenet"], float(stored["seconds"]))


def load_or_build_index(images: np.ndarray, files: list[Path], model_file: Path, embedder,
                        image_size: int = pretrained.IMAGE_SIZE) -> tuple[PhotoIndex, bool]:
    """``(index, built)``: the saved index of these photos and this model when there is one, else a
    new one (saved). ``embedder`` is read from ``model_file`` (a ``.keras`` file): the index is saved
    under a name made of the photos and that file, so that a new model file builds a new index."""
    target = index_path(files, model_file, image_size)
    if target.exists():
        try:
            return load_index(target), False
        except (OSError, ValueError, KeyError, EOFError):
            pass  # a damaged index is rebuilt
    index = build_index(images, files, embedder, image_size)
    save_index(index, target)
    return index, True
