"""/healthz and /readyz, as a load balancer's probe sees them: with each dependency really down.

The production-shaped cases run in a fresh Django process (DEBUG off, ALLOWED_HOSTS naming only
the public host, the HTTPS redirect on) whose environment points a dependency at nothing: a
database port where nothing listens or an SQLite file in a missing directory, a Redis server
this test started and then stopped. The cache alone and the storage alone are broken in this
process (a Redis location where nothing listens; MEDIA_ROOT below a plain file).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection

from tests.moto import free_port
from tests.programs import run_json

ROOT = Path(__file__).resolve().parent.parent
LOAD_BALANCER = "10.20.30.40"  # the address a probe names in its Host header

pytestmark = pytest.mark.django_db

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST=host, **headers)
answers = {}
for path in paths:
    response = client.get(path)
    answers[path] = {
        "status": response.status_code,
        "body": response.content.decode(errors="replace"),
        "location": response.get("Location"),
        "cookies": sorted(response.cookies),
        "cache_control": response.get("Cache-Control"),
        "hsts": response.get("Strict-Transport-Security"),
    }
print(json.dumps(answers))
"""


def database_url(tmp_path: Path) -> str:
    """The test's own database (PostgreSQL), or an SQLite file of this test's."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{tmp_path / 'probe.sqlite3'}"


def production_env(tmp_path: Path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="health-test-" + "k" * 50,
        ALLOWED_HOSTS="desk.example",
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=database_url(tmp_path),
        REDIS_URL=os.environ["REDIS_URL"],
    )
    env.update(overrides)
    return env


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """collectstatic once, as a production start does: pages (error pages too) name the
    hashed files of its manifest."""
    tmp_path = tmp_path_factory.mktemp("static")
    root = tmp_path / "static"
    env = production_env(tmp_path, STATIC_ROOT=str(root), DATABASE_URL="sqlite:///:memory:")
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def probe(collected_static, tmp_path):
    def get(*paths: str, host: str = LOAD_BALANCER, headers=None, **env_overrides) -> dict:
        """GET `paths` in a production-configured Django process; each answer as a dict."""
        env = production_env(tmp_path, STATIC_ROOT=str(collected_static), **env_overrides)
        return run_probe(env, paths, host, headers or {})

    return get


def run_probe(env: dict[str, str], paths, host: str, headers: dict) -> dict:
    program = f"host = {host!r}\npaths = {list(paths)!r}\nheaders = {headers!r}\n{PROBE}"
    return run_json(program, env)


def checks_of(answer: dict) -> dict[str, bool]:
    body = json.loads(answer["body"])
    for result in body["checks"].values():
        assert isinstance(result["ms"], int | float) and result["ms"] >= 0
    return {name: result["ok"] for name, result in body["checks"].items()}


ALL_OK = {"database": True, "cache": True, "broker": True, "storage": True}


def test_a_probe_with_its_own_host_over_http_is_answered_in_production(probe):
    answers = probe("/healthz", "/readyz", "/accounts/login/")

    assert answers["/healthz"]["status"] == 200
    assert json.loads(answers["/healthz"]["body"]) == {"status": "ok"}
    assert answers["/readyz"]["status"] == 200, answers["/readyz"]["body"]
    assert checks_of(answers["/readyz"]) == ALL_OK
    for path in ("/healthz", "/readyz"):
        assert answers[path]["cookies"] == []  # no session, no CSRF cookie
        assert answers[path]["cache_control"] == "no-store"
    # Every other page still refuses a host that is not ours.
    assert answers["/accounts/login/"]["status"] == 400


def test_the_public_host_is_still_sent_to_https_except_the_probes(probe):
    answers = probe("/healthz", "/readyz", "/accounts/login/", host="desk.example")

    assert answers["/accounts/login/"]["status"] == 301
    assert answers["/accounts/login/"]["location"] == "https://desk.example/accounts/login/"
    assert answers["/healthz"]["status"] == 200
    assert answers["/readyz"]["status"] == 200


def test_behind_the_tls_proxy_pages_are_served_with_hsts(probe):
    """The proxy terminates TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER)."""
    answers = probe(
        "/accounts/login/",
        host="desk.example",
        headers={"HTTP_X_FORWARDED_PROTO": "https"},
    )

    assert answers["/accounts/login/"]["status"] == 200  # served, not redirected
    assert answers["/accounts/login/"]["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_healthz_does_no_io(client, django_assert_num_queries, settings):
    settings.CACHES = {  # nothing listens there: touching the cache would fail
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("where", ["postgresql_closed_port", "sqlite_missing_directory"])
def test_readyz_fails_with_the_database_down(probe, tmp_path, where):
    if where == "postgresql_closed_port":
        url = f"postgres://postgres@127.0.0.1:{free_port()}/reportdesk"
    else:
        url = f"sqlite:///{tmp_path / 'no-such-directory' / 'db.sqlite3'}"

    answers = probe("/readyz", "/healthz", DATABASE_URL=url)

    assert answers["/readyz"]["status"] == 503
    body = json.loads(answers["/readyz"]["body"])
    assert body["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert checks_of(answers["/readyz"]) == {**ALL_OK, "database": False}
    assert answers["/healthz"]["status"] == 200  # alive, only not ready


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, on a free loopback port; stopped at the end."""
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)  # waiting for the server to listen
    client.close()
    yield server, url
    if server.poll() is None:
        server.terminate()
        server.wait(10)


def test_readyz_fails_when_redis_stops(probe, own_redis):
    server, url = own_redis
    up = probe("/readyz", REDIS_URL=url)
    assert up["/readyz"]["status"] == 200, up["/readyz"]["body"]

    server.terminate()
    server.wait(10)
    down = probe("/readyz", REDIS_URL=url)

    assert down["/readyz"]["status"] == 503
    # In production the cache and the broker share Redis: both say so.
    assert checks_of(down["/readyz"]) == {**ALL_OK, "cache": False, "broker": False}


def test_readyz_fails_with_the_cache_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = client.get("/readyz")

    assert response.status_code == 503
    assert {name: r["ok"] for name, r in response.json()["checks"].items()} == {
        **ALL_OK,
        "cache": False,
    }


def test_readyz_fails_with_the_storage_unusable(client, settings, tmp_path):
    blocker = tmp_path / "a-file-not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"

    response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert {name: r["ok"] for name, r in checks.items()} == {**ALL_OK, "storage": False}
    assert str(blocker) not in response.content.decode()  # the class only, never the path


def test_readyz_is_ready_in_the_test_setup(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert {name: r["ok"] for name, r in response.json()["checks"].items()} == ALL_OK
