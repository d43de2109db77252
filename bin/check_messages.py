"""Fail when a compiled message catalog (.mo) is missing or says something its .po does not.

Compares content, not modification times (a fresh clone gives every file the same one): each
locale/*/LC_MESSAGES/*.po is compiled with msgfmt (as Django's compilemessages does) into a
temporary file, and the translations both catalogs hold must be the same.

    python bin/check_messages.py [LOCALE_DIR]    (default: the project's locale/)
"""

import gettext
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def catalog(mo_path: Path) -> dict:
    with mo_path.open("rb") as file:
        return gettext.GNUTranslations(file)._catalog


def stale_catalogs(locale_dir: Path) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            name = po_path.relative_to(locale_dir.parent)
            fresh = Path(scratch) / "fresh.mo"
            subprocess.run(  # noqa: S603
                ["msgfmt", "--check-format", "-o", str(fresh), str(po_path)],  # noqa: S607
                check=True,
            )
            if not mo_path.exists():
                problems.append(f"{name}: no compiled {mo_path.name}")
            elif catalog(mo_path) != catalog(fresh):
                problems.append(f"{name}: {mo_path.name} is out of date")
    return problems


def main() -> int:
    locale_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "locale"
    problems = stale_catalogs(locale_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Run: .venv/bin/python manage.py compilemessages", file=sys.stderr)
        return 1
    print("Compiled message catalogs match their .po files.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
