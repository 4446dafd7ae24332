"""The dataset registry (``data/datasets.json``): where a dataset comes from and what it must hold."""

import json
from dataclasses import dataclass, field

from practicum import paths


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    urls: tuple[str, ...]
    size: int
    folder: str
    classes: tuple[str, ...]
    splits: dict[str, dict[str, int]] = field(hash=False)
    sha256: str | None = None

    def expected_count(self, split: str, class_name: str) -> int | None:
        return self.splits.get(split, {}).get(class_name)


def dataset_spec(name: str = "cats_and_dogs_filtered") -> DatasetSpec:
    entries = json.loads(paths.REGISTRY.read_text())
    if name not in entries:
        raise KeyError(f"{paths.REGISTRY}: no dataset named {name!r}; known: {', '.join(entries)}")
    entry = entries[name]
    return DatasetSpec(
        name=name,
        urls=tuple(entry["urls"]),
        size=int(entry["size"]),
        folder=entry["folder"],
        classes=tuple(entry["classes"]),
        splits=entry["splits"],
        sha256=entry.get("sha256"),
    )
