"""grader.gradebook's one change to stock nbgrader: a new gradebook is stamped with the revision of
nbgrader's migrations read in-process, not by running ``alembic heads`` for every new database."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from nbgrader.dbutil import _temp_alembic_ini

from grader import gradebook


def test_a_new_gradebook_is_stamped_with_the_revision_the_alembic_command_reports(tmp_path):
    path = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with _temp_alembic_ini(f"sqlite:///{tmp_path / 'probe.db'}") as ini:  # as stock nbgrader runs it
        reported = subprocess.run(["alembic", "-c", ini, "heads"], capture_output=True, text=True, check=True,
                                  env={**os.environ, **path}).stdout.split()[0]
    with gradebook.Gradebook(gradebook.db_url(tmp_path)):
        pass
    with sqlite3.connect(tmp_path / "gradebook.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(reported,)]
    assert gradebook.alembic_head() == reported
