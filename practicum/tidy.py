"""Keep committed notebooks clean and byte-stable: no outputs, no execution counts, stable cell ids,
only the metadata the course uses (``tags``, ``nbgrader`` and ``practicum`` on cells; kernelspec and language on the
notebook). Unlike tensorflow/docs' nbfmt, this keeps nbgrader's metadata."""

import hashlib
import json
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_METADATA_KEPT = ("tags", "nbgrader", "practicum")


class NotebookError(ValueError):
    """A file that is not a readable notebook; the message names it and the fix."""


def read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as error:
        raise NotebookError(f"{path}: not a notebook (not valid JSON: {str(error)[:80]}); restore it from git or re-download it") from None
    except (KeyError, AttributeError, TypeError, nbformat.ValidationError) as error:
        raise NotebookError(f"{path}: not a valid notebook ({error}); restore it from git or re-download it") from None


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` stripped of outputs and stray metadata, every cell with a stable id."""
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    seen: set[str] = set()
    for cell in nb.cells:
        cell.metadata = nbformat.from_dict({k: cell.metadata[k] for k in CELL_METADATA_KEPT if k in cell.metadata})
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.id = _unique_id(cell, seen)
        seen.add(cell.id)
    return nb


def _unique_id(cell, seen: set[str]) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    base = cell.get("id") or grade_id or "cell-" + hashlib.sha1(cell.source.encode()).hexdigest()[:8]
    candidate, n = base, 1
    while candidate in seen:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def dumps(nb: nbformat.NotebookNode) -> str:
    """The byte-stable text of a notebook (nbformat's own indentation and key order)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def tidy_file(path: Path, write: bool = True) -> bool:
    """Whether the notebook is (or was) not tidy; with ``write``, tidy it in place."""
    before = path.read_text(encoding="utf-8")
    after = dumps(tidy(read_notebook(path)))
    if write and after != before:
        path.write_text(after, encoding="utf-8")
    return after != before
