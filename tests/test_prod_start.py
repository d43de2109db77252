"""`make prod` serves a fully working app with DEBUG off, as the README says to run it.

The test runs the real target (migrate, collectstatic, gunicorn, one Celery worker, one beat)
with production's environment: DEBUG off, a SECRET_KEY, ALLOWED_HOSTS naming only the address
it serves on, static files collected into this test's STATIC_ROOT, and the test's own database
(on SQLite a file of its own, see tests/test_celery_e2e.py) and Redis queue. Plain HTTP on
loopback stands for the TLS proxy's side, so SECURE_SSL_REDIRECT is off here (the redirect and
the probes' exemption from it are in tests/test_health.py).

Chromium then signs in through the sign-in form, uses the console's search (an htmx request and
swap) and opens the help center: our stylesheet is applied, every static file has a hashed name
and far-future Cache-Control, and no Content-Security-Policy violation happens. Last, SIGTERM
to make stops every process it started.
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests import test_celery_e2e as e2e
from tests.browser.test_csp import collect_csp_violations
from tests.moto import free_port

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

system = e2e.system
START_LIMIT = 120  # seconds for migrate + collectstatic + gunicorn to answer
PASSWORD = "prod-start correct horse"
HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
FOREVER = "max-age=315360000, public, immutable"
BACKGROUND = "rgb(246, 247, 249)"  # body { background: var(--bg) } in static/css/app.css

SEED = """
from django.contrib.auth import get_user_model
from reports.models import Category, IssueType, Membership, MiniApp
from reports.services import ReportInput, report_submit

app = MiniApp.objects.create(name="Acme Shop", slug="acme", support_email="help@acme.example")
owner = get_user_model().objects.create_user(
    username="owner@acme.example", email="owner@acme.example", password=password
)
Membership.objects.create(mini_app=app, user=owner)
crash = IssueType.objects.get(code="experience.crash")

def file(details):
    data = ReportInput(category=Category.EXPERIENCE, issue_type=crash, details=details)
    return report_submit(mini_app=app, data=data).report_id

result = {"freezes": file("The cart freezes after paying"), "other": file("Login button is grey")}
"""


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds `marker` (this run's unique queue name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def production(system, tmp_path):
    """`make prod` running with production's settings; yields (base URL, log path)."""
    port = free_port()
    env = {
        key: value
        for key, value in system.env.items()
        if key not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}  # a make of its own, not a sub-make
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="prod-start-test-" + "s" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(tmp_path / "static"),
        PORT=str(port),
        BIND_ADDRESS="127.0.0.1",
        WEB_CONCURRENCY="2",
        WORKER_CONCURRENCY="1",
    )
    log = tmp_path / "make-prod.log"
    make = subprocess.Popen(
        ["make", "--no-print-directory", "prod"],
        cwd=e2e.ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_LIMIT
        while True:
            assert make.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no answer on {base_url}\n{log.read_text()}"
            time.sleep(0.3)  # waiting for gunicorn to listen
        yield make, base_url, log
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGTERM)
            try:
                make.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
        for pid in processes_with(f"CELERY_QUEUE={system.env['CELERY_QUEUE']}"):
            os.kill(pid, signal.SIGKILL)  # never leave a server behind a failed test


@pytest.mark.parametrize("system", ["redis"], indirect=True)
def test_make_prod_serves_a_styled_working_app_with_debug_off(
    system, production, chromium, tmp_path
):
    make, base_url, log = production
    seeded = e2e.run_django(system.env, SEED, password=PASSWORD)
    context = chromium.new_context(base_url=base_url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations = collect_csp_violations(page)
    static = {}
    page.on(
        "response",
        lambda response: (
            static.setdefault(response.url, response) if "/static/" in response.url else None
        ),
    )
    try:
        # Sign in through the form: CSRF, the session and the redirect as a developer meets them.
        page.goto("/accounts/login/")
        page.get_by_label("E-mail or username").fill("owner@acme.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/console/acme/reports/"))
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND
        expect(page.get_by_role("row", name=re.compile(seeded["other"]))).to_be_visible()

        # The search swaps the results in place through htmx.
        with page.expect_request(lambda r: r.headers.get("hx-request") == "true") as search:
            page.get_by_role("searchbox", name="Search").fill("freezes")
        assert "q=freezes" in search.value.url
        expect(page.get_by_role("row", name=re.compile(seeded["other"]))).to_have_count(0)
        expect(page.get_by_role("row", name=re.compile(seeded["freezes"]))).to_be_visible()
        assert "/console/acme/reports/" in page.url and "q=freezes" in page.url  # pushed

        # The help center: the same stylesheet, its own script.
        page.goto("/help/acme/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND
        page.wait_for_load_state("networkidle")
    finally:
        context.close()

    assert violations == []
    names = {Path(url.split("?")[0]).name for url in static}
    assert any(name.startswith("app.") and name.endswith(".css") for name in names), names
    assert any(name.startswith("htmx.min.") for name in names), names
    for url, response in static.items():
        assert response.status == 200, url
        assert HASHED.search(url), f"not a hashed name: {url}"
        assert response.headers["cache-control"] == FOREVER, url
    css = next(response for url, response in static.items() if url.endswith(".css"))
    assert css.headers.get("content-encoding") in {"gzip", "br"}  # the compressed copy

    # A load balancer's probe, with its own Host, is answered; the dependencies are up.
    probe = httpx.get(f"{base_url}/readyz", headers={"Host": "10.20.30.40"}, timeout=10)
    assert probe.status_code == 200 and probe.json()["status"] == "ok", probe.text

    # SIGTERM to make stops gunicorn, the worker and beat: nothing of this run is left.
    started = time.monotonic()
    make.send_signal(signal.SIGTERM)
    make.wait(60)
    assert time.monotonic() - started < 30, log.read_text()
    assert processes_with(f"CELERY_QUEUE={system.env['CELERY_QUEUE']}") == [], log.read_text()
    output = log.read_text()
    assert "static files copied" in output  # collectstatic ran as part of the start
    assert "Shutting down: Master" in output  # gunicorn stopped gracefully
    assert output.count("Warm shutdown") == 1, output  # the worker was asked once
    assert "beat: Starting..." in output
