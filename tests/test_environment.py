"""environment.yml gives conda users the same packages as requirements.txt gives pip users."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*(;[^#]*)?")


def pins(text: str) -> dict[tuple[str, str], str]:
    """{(package, environment marker): version} for every ``name==version`` line."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found[(name.lower(), (marker or "").strip(" ;"))] = version
    return found


def test_environment_yml_pins_equal_requirements():
    requirements = pins((ROOT / "requirements.txt").read_text())
    conda = pins((ROOT / "environment.yml").read_text())
    assert requirements, "requirements.txt pins nothing"
    assert conda == requirements


def test_pyproject_names_every_runtime_package_of_the_requirements():
    pyproject = (ROOT / "pyproject.toml").read_text().lower()
    for runtime in ("keras", "numpy", "matplotlib", "pillow", "scikit-learn", "nbgrader", "nbclient", "tqdm"):
        assert f'"{runtime}>=' in pyproject, f"pyproject.toml does not depend on {runtime}"
