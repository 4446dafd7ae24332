"""``practicum lab``: the course's JupyterLab settings are ones JupyterLab knows (a misspelt setting is
silently ignored, and the news pop-up would be back); the browser test (test_browser.py) shows their effect."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import jupyterlab

from practicum.lab import CONFIG, SETTINGS, lab_command, lab_environment

SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"


def test_every_override_is_a_valid_setting_of_an_installed_jupyterlab_plugin():
    overrides = json.loads((SETTINGS / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for plugin, values in overrides.items():
        package, name = plugin.split(":")
        schema = json.loads((SCHEMAS / package / f"{name}.json").read_text())
        assert set(values) <= set(schema["properties"]), f"{plugin}: unknown settings {set(values) - set(schema['properties'])}"
        jsonschema.validate(values, schema)


def test_the_command_uses_the_course_settings_and_configuration():
    assert f"--LabApp.app_settings_dir={SETTINGS}" in lab_command()
    env = lab_environment({"PATH": "/usr/bin", "JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(CONFIG), "/elsewhere"]
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent), "nbgrader runs alembic from this environment"


def test_practicum_lab_passes_jupyterlabs_own_options_on(tmp_path):
    result = subprocess.run([sys.executable, "-m", "practicum.cli", "lab", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == jupyterlab.__version__, result.stderr
