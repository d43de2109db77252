"""`make check` (part of `make test`) fails on a model change without its migration and on a
compiled catalog (.mo) that does not say what its .po says; and passes on this tree."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK_MESSAGES = ROOT / "bin" / "check_messages.py"


def check_messages(locale_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK_MESSAGES), str(locale_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_committed_catalogs_match_their_po_files():
    result = check_messages(ROOT / "locale")
    assert result.returncode == 0, result.stderr


def test_a_po_edited_without_compiling_fails_the_check(tmp_path):
    locale_dir = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale_dir)
    [po_path] = locale_dir.glob("es/LC_MESSAGES/django.po")
    text = po_path.read_text()
    # A new translated message, the .mo left as it was.
    po_path.write_text(text + '\nmsgid "A sentence only the .po knows"\nmsgstr "Una frase"\n')
    result = check_messages(locale_dir)
    assert result.returncode == 1
    assert "locale/es/LC_MESSAGES/django.po: django.mo is out of date" in result.stderr


def test_a_po_without_its_mo_fails_the_check(tmp_path):
    locale_dir = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale_dir)
    [mo_path] = locale_dir.glob("es/LC_MESSAGES/django.mo")
    mo_path.unlink()
    result = check_messages(locale_dir)
    assert result.returncode == 1
    assert "no compiled django.mo" in result.stderr


def makemigrations_check(project: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ENV_FILE="", DEBUG="true", VAR_DIR=str(tmp_path / "var"))
    return subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_model_change_has_its_migration(tmp_path):
    result = makemigrations_check(ROOT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_model_change_without_a_migration_fails_the_check(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", "var", "node_modules", ".git", "*.pyc"),
    )
    models = project / "appeals" / "models.py"
    models.write_text(
        models.read_text()
        + "\n\nclass UnmigratedNote(models.Model):\n    text = models.TextField()\n"
    )
    result = makemigrations_check(project, tmp_path)
    assert result.returncode == 1
    assert "UnmigratedNote" in result.stdout
