"""Shared fixtures: two tenants and the three users every access test needs.

owner and teammate belong to `mini_app` ("acme"); outsider belongs only to `other_app`.
"""

import importlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from reports.models import Category, IssueType, Membership, MiniApp, Report
from reports.screenshots import image_process
from reports.services import ReportInput, report_submit
from tests.factories import issue_type, png_bytes, upload

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL run only"
)


def stored_files(root: Path) -> set[str]:
    """The files under `root` (none if it does not exist), as paths relative to it: below
    MEDIA_ROOT these are the storage names the rows hold."""
    root = Path(root)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def run_at_once(*calls: Callable) -> tuple[list, list[Exception]]:
    """Run the calls in threads released together, each on its own database connection;
    returns (results, errors) in the order they finished."""
    results, errors, barrier = [], [], threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            results.append(call())
        except Exception as error:  # the caller asserts on it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def pytest_collection_modifyitems(items):
    """The tests that start real Celery workers (marked `celery`) run first: each waits on
    processes for 20 s to over 2 minutes, and under pytest-xdist (`make test`, `--dist load`)
    they then overlap on the workers while the short tests fill in around them, instead of one
    of them starting last and finishing the run alone. Order only: every test still runs."""
    items.sort(key=lambda item: item.get_closest_marker("celery") is None)


@pytest.fixture(scope="session", autouse=True)
def real_settings_module():
    """Programs the tests start (manage.py, celery, make run) read config.settings: they default
    to it only when DJANGO_SETTINGS_MODULE is unset, and pytest-django set it to tests.settings.
    Done here, where tests run, not at import: the xdist workers are started after the main
    process imported the settings, and must inherit tests.settings."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Real files, in a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def outbox_email_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def counters_clear() -> None:
    """Forget the help center's rate-limit counters and seen API signatures, and the failed
    sign-in counters, and nothing else.

    On Redis the cache shares the broker's database, so a FLUSHDB (cache.clear()) would also
    drop Celery's queues: delete only these keys, and only under this process's key prefix
    (each xdist worker has its own, tests/settings.py), never another worker's counters.
    """
    from django.core.cache import cache

    from reports.accounts import RESET_KEY_PREFIX
    from reports.login_throttle import KEY_PREFIX

    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        cache.clear()  # file-based cache: its own directory
        return
    client = client_of(None, write=True)
    for pattern in ("*tickets:*", f"*{KEY_PREFIX}:*", f"*{RESET_KEY_PREFIX}:*"):
        keys = list(client.scan_iter(match=cache.make_key(pattern)))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_counters():
    """Counters live in the real cache (Redis in the test run) for up to an hour: every test
    starts, and leaves, at zero."""
    counters_clear()
    yield
    counters_clear()


@pytest.fixture(scope="session", autouse=True)
def unconsumed_tasks_dropped():
    """Committed submissions publish their e-mail task to the default queue, which no worker
    of the suite consumes (tests that need a worker use a queue of their own): drop what the
    run left there, or it grows run after run on the shared Redis."""
    yield
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        client = redis.Redis.from_url(settings.REDIS_URL)
        # With the queue, kombu's binding tables, kept for good (one pair per xdist worker's
        # queue would pile up run after run).
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


@pytest.fixture
def make_user(db) -> Callable:
    def make(username: str, **extra):
        return get_user_model().objects.create_user(
            username=username, email=username, password="correct horse battery", **extra
        )

    return make


@pytest.fixture
def catalogue(db) -> None:
    """The issue types the migration seeds; re-seeded after a transactional test's flush."""
    if not IssueType.objects.exists():
        migration = importlib.import_module("reports.migrations.0002_issue_type_catalogue")
        migration.seed(django_apps, None)


@pytest.fixture
def mini_app(catalogue) -> MiniApp:
    return MiniApp.objects.create(
        name="Acme Shop",
        slug="acme",
        support_email="help@acme.example",
        support_email_verified_at=timezone.now(),  # an app from before verification existed
        signing_secret="s3cret",
    )


@pytest.fixture
def other_app(catalogue) -> MiniApp:
    return MiniApp.objects.create(
        name="Globex",
        slug="globex",
        support_email="help@globex.example",
        support_email_verified_at=timezone.now(),
        signing_secret="other",
    )


@pytest.fixture
def owner(make_user, mini_app):
    user = make_user("owner@acme.example")
    Membership.objects.create(mini_app=mini_app, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def teammate(make_user, mini_app):
    """A handler of acme: handles reports and appeals, manages nothing."""
    user = make_user("teammate@acme.example")
    Membership.objects.create(mini_app=mini_app, user=user, role=Membership.Role.HANDLER)
    return user


@pytest.fixture
def viewer(make_user, mini_app):
    """A viewer of acme: reads everything of the app, changes nothing."""
    user = make_user("viewer@acme.example")
    Membership.objects.create(mini_app=mini_app, user=user, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def outsider(make_user, other_app):
    user = make_user("outsider@globex.example")
    Membership.objects.create(mini_app=other_app, user=user)
    return user


REPORT_DEFAULTS = {
    Category.EXPERIENCE: {"issue_type": "experience.crash", "details": "It crashes on start."},
    Category.PAYMENT: {
        "issue_type": "payment.refund",
        "details": "Please refund.",
        "order_id": "ORD-1",
    },
    Category.COMMUNITY: {"issue_type": "community.spam"},
}


@pytest.fixture
def make_report(mini_app) -> Callable[..., Report]:
    """File a report through the real service, as the help center would."""

    def make(category: str = Category.EXPERIENCE, app: MiniApp | None = None, **fields):
        values = {**REPORT_DEFAULTS[category], **fields}
        now = values.pop("now", None)
        reporter = {
            k: values.pop(k) for k in ("reporter_language", "reporter_timezone") if k in values
        }
        values["issue_type"] = issue_type(values["issue_type"])
        return report_submit(
            mini_app=app or mini_app,
            data=ReportInput(category=category, **values),
            now=now,
            **reporter,
        )

    return make


@pytest.fixture
def screenshot():
    return image_process(upload(png_bytes()))


# --- Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser).

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # beside it are ordinary synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (its own cookies) per test, pointed at the live server."""
    context = chromium.new_context(base_url=live_server.url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def new_page(chromium, live_server):
    """More independent browser sessions in one test (e.g. two developers at once)."""
    contexts = []

    def open_page(**options):
        context = chromium.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
