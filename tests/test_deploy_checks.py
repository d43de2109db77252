"""Production settings pass Django's deployment checklist, run as an operator would run it."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def check_deploy(tmp_path, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        # A bare production environment: no test or local-development switches.
        if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SECURE_SSL_REDIRECT"}
        and not key.startswith(("SECURE_HSTS", "DJANGO_"))
    }
    env.update(
        DEBUG="false",
        ALLOWED_HOSTS="example.com",
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="config.settings",
        **env_overrides,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def strong_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def test_production_settings_pass_check_deploy_with_no_warnings(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY=strong_key())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_a_weak_secret_key_is_reported(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_a_missing_secret_key_is_refused(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
