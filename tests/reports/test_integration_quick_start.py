"""The Integration page's quick start really works: its curl, Python and Node examples, copied
from the page as a developer would and run with the app's secret, each file a report."""

import html
import os
import re
import subprocess
import sys

import pytest
from django.test import Client

from reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)


def snippets(page: str) -> dict[str, str]:
    blocks = re.findall(
        r"<h3>(\w+)</h3>\s*(?:<p>.*?</p>\s*)?<pre[^>]*><code>(.*?)</code></pre>", page, re.S
    )
    return {name: html.unescape(code) for name, code in blocks}


@pytest.fixture
def quick_start(owner, live_server, settings) -> dict[str, str]:
    settings.SITE_URL = live_server.url
    client = Client()
    client.force_login(owner)
    found = snippets(client.get("/console/acme/integration/").content.decode())
    assert set(found) == {"curl", "Python", "Node"}
    return found


def run(args: list[str], code: str, tmp_path, suffix: str) -> str:
    script = tmp_path / f"quickstart{suffix}"
    script.write_text(code)
    env = {**os.environ, "REPORTDESK_SECRET": "s3cret"}
    done = subprocess.run(
        [*args, str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("name", "args", "suffix"),
    [
        ("curl", ["bash"], ".sh"),
        ("Python", [sys.executable], ".py"),
        ("Node", ["node"], ".mjs"),
    ],
)
def test_the_example_files_a_report(quick_start, tmp_path, name, args, suffix):
    output = run(args, quick_start[name], tmp_path, suffix)
    assert "report_id" in output, output
    report = Report.objects.get()
    assert report.source == Report.Source.API and report.details == "It crashes on start."
