"""tests/adversarial/README.md shows the corpus as it is (cheap: grades nothing)."""

from pathlib import Path

import corpus


def test_readme_table_is_the_corpus():
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    assert corpus.readme_table() in readme, "run `python tests/adversarial/corpus.py` and paste the table into README.md"
