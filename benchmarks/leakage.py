"""Photos that sit in two splits: near duplicates across training, validation and the holdout.

    PRACTICUM_HOLDOUT_DIR=/path/to/holdout python benchmarks/leakage.py [--distance 8] [--no-record]

A photo in both the training and the validation split leaks: the model is scored on a photo it
trained on, and the score flatters it. The same holds for the instructor's holdout. Each photo gets
its perceptual hash (``imagehash.phash``: 64 bits that say which of the photo's low frequencies lie
above their median, so that resizing, recompressing or a slight change of colour leaves them nearly
the same), and every photo is compared with every photo of the other splits. Pairs whose hashes
differ in at most ``--distance`` of the 64 bits are near duplicates; at distance 0 the hashes are
identical.

Rows (stage ``leakage``): ``pairs[<split>-<split>]`` at ``--distance`` and ``identical[<split>-<split>]``
at distance 0, for training–validation, training–holdout and validation–holdout; ``seconds`` is the
time to hash all the photos. Every pair found, with its two files and its distance, goes to
``build/benchmarks/leakage.json`` for a person to look at: a hash only says that two photos look
alike, not that they are the same animal.
"""

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.record import append, current_command, metric_name  # noqa: E402
from practicum import data, paths  # noqa: E402
from practicum.images import read_rgb  # noqa: E402


def hashes(files: list[Path]) -> np.ndarray:
    """Each photo's 64-bit perceptual hash, as 8 bytes (upright, as the course decodes it)."""
    import imagehash

    return np.stack([np.packbits(imagehash.phash(read_rgb(path)).hash.ravel()) for path in files])


def distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(len(first), len(second)) Hamming distances between two sets of packed hashes."""
    return np.unpackbits(first[:, None, :] ^ second[None, :, :], axis=-1).sum(axis=-1)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distance", type=int, default=8, help="the most bits two near duplicates' hashes may differ in (default: 8)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    holdout = paths.holdout_dir()
    if holdout is None:
        raise SystemExit("PRACTICUM_HOLDOUT_DIR is not set: the check compares the holdout with the splits too")
    splits = {"train": data.list_images("train")[0], "validation": data.list_images("validation")[0],
              "holdout": data.list_images(folder=holdout)[0]}
    start = time.perf_counter()
    hashed = {name: hashes(files) for name, files in splits.items()}
    seconds = time.perf_counter() - start
    found, rows, command = {}, [], current_command()
    for first, second in itertools.combinations(splits, 2):
        apart = distances(hashed[first], hashed[second])
        pairs = np.argwhere(apart <= args.distance)
        pair = f"{first}-{second}"
        found[pair] = [{"first": str(splits[first][i]), "second": str(splits[second][j]), "distance": int(apart[i, j])}
                       for i, j in sorted(pairs.tolist(), key=lambda ij: apart[ij[0], ij[1]])]
        identical = int((apart == 0).sum())
        print(f"{pair:22s} {len(pairs):4d} pairs within {args.distance} bits, {identical} identical "
              f"({len(splits[first])} × {len(splits[second])} photos compared)")
        rows += [("leakage", metric_name("pairs", pair), len(pairs), seconds, command),
                 ("leakage", metric_name("identical", pair), identical, seconds, command)]
    target = paths.build_dir() / "benchmarks" / "leakage.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"distance": args.distance, "pairs": found}, indent=1), encoding="utf-8")
    print(f"hashed {sum(map(len, splits.values()))} photos in {seconds:.1f} s; the pairs: {target}")
    if not args.no_record:
        append(rows)
    return found


if __name__ == "__main__":
    main()
