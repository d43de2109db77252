"""Health probes for a load balancer or an orchestrator.

/healthz says the process answers (no I/O at all); /readyz says it can serve: the database, the
cache, the broker and the screenshot storage each answer, with each check's result and time.

A probe comes from the load balancer itself, with its own Host header (often an IP address)
and over plain HTTP, and reads no cookies. HealthProbeMiddleware, first in MIDDLEWARE, answers
the two paths before the host check, the HTTPS redirect, sessions and CSRF ever see them, so
the answer is the app's health and never a 400 or a 301. Neither page shows anything private:
a failed check names only the exception's class (the log has the whole message).
"""

import logging
import time
import uuid
from collections.abc import Callable

from celery import current_app
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"health:probe:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was just stored")
    cache.delete(key)


def _broker() -> None:
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)  # one attempt: a probe must not wait


def _storage() -> None:
    name = default_storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "storage": _storage,
}


def _run(name: str, check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # any failure is the answer, not a crash of the probe
        logger.warning("readiness check %s failed: %r", name, error)
        result = {"ok": False, "error": type(error).__name__}
    else:
        result = {"ok": True}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a probe must see the state now, not a cached one
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return _no_store(JsonResponse({"status": "ok"}))


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in checks.values())
    return _no_store(
        JsonResponse(
            {"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503
        )
    )


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    """Answers the probe paths itself, ahead of every other middleware (see the docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
