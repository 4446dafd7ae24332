"""``practicum lab``: JupyterLab on the course, as a learner should first meet it.

JupyterLab starts in the repository with the course's settings (``.jupyter/``): no pop-up asking to
fetch Jupyter's news, no check for updates, so that the first thing a learner sees is the lesson
(``lab/settings/overrides.json``: defaults only, anything a learner changes in Settings still wins);
and a cell budget for nbgrader's Validate button that lets a lesson's training finish
(``nbgrader_config.py``). The Validate button and Formgrader come with the nbgrader package.
"""

import os
import sys
from pathlib import Path

from practicum import paths

#: The course's Jupyter configuration folder, and JupyterLab's app settings folder in it.
CONFIG = paths.ROOT / ".jupyter"
SETTINGS = CONFIG / "lab" / "settings"


def lab_command(*extra: str) -> list[str]:
    """The command line that starts JupyterLab on the course; ``extra`` goes to JupyterLab."""
    return [sys.executable, "-m", "jupyter", "lab", f"--LabApp.app_settings_dir={SETTINGS}", f"--ServerApp.root_dir={paths.ROOT}", *extra]


def lab_environment(base: dict | None = None) -> dict:
    """The environment JupyterLab needs: this interpreter's scripts first on PATH (nbgrader runs
    ``alembic``), the course's configuration folder on JUPYTER_CONFIG_PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(CONFIG), env.get("JUPYTER_CONFIG_PATH")]))
    return env


def exec_lab(extra: list[str]) -> None:
    """Replace this process by JupyterLab, so that Ctrl-C reaches JupyterLab alone."""
    command = lab_command(*extra)
    os.execve(command[0], command, lab_environment())
