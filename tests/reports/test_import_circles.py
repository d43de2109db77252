"""reports.tasks imports the outbox, the reminders and the webhook delivery; none may import the
tasks back, not even inside a function (each sends its delivery task by name)."""

import ast
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(
                f"{base}.{alias.name}" if not node.module else base for alias in node.names
            )
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["outbox.py", "reminders.py", "webhooks/delivery.py"])
def test_modules_the_tasks_import_do_not_import_the_tasks(module):
    names = imported_modules(REPORTS / module)
    assert not names & {".tasks", "reports.tasks", "..tasks"}, names


def test_a_report_comes_from_the_help_center_the_api_or_the_integration_pages_test_only():
    from reports.models import Report

    # "test": the console's "Send a test report" (reports.app_settings), marked as a test.
    assert sorted(Report.Source.values) == ["api", "test", "web"]
