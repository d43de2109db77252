"""The settings switch: one module, configured by the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'db': str(settings.DATABASES['default']['NAME']), 'broker': settings.CELERY_BROKER_URL, "
    "'storage': settings.STORAGES['default']['BACKEND'], 'email': settings.EMAIL_BACKEND, "
    "'debug': settings.DEBUG, 'secure_cookie': settings.SESSION_COOKIE_SECURE}))"
)


def settings_with(tmp_path, **env) -> tuple[int, dict | str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "AWS_STORAGE_BUCKET_NAME",
            "EMAIL_HOST",
        }
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path)}, **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    if result.returncode:
        return result.returncode, result.stderr
    return 0, json.loads(result.stdout)


def test_embedded_defaults(tmp_path):
    code, found = settings_with(tmp_path, DEBUG="true")
    assert code == 0, found
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db"] == str(tmp_path / "reportdesk.sqlite3")
    assert found["broker"] == "filesystem://"
    assert found["storage"] == "django.core.files.storage.FileSystemStorage"
    assert found["email"] == "django.core.mail.backends.filebased.EmailBackend"


def test_production_services_from_the_environment(tmp_path):
    code, found = settings_with(
        tmp_path,
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://u@db.internal:5432/reportdesk",
        REDIS_URL="redis://cache.internal:6379/0",
        AWS_STORAGE_BUCKET_NAME="screens",
        EMAIL_HOST="smtp.internal",
    )
    assert code == 0, found
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["broker"] == "redis://cache.internal:6379/0"
    assert found["storage"] == "storages.backends.s3.S3Storage"
    assert found["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert found["debug"] is False
    assert found["secure_cookie"] is True


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    code, error = settings_with(tmp_path)
    assert code != 0
    assert "SECRET_KEY must be set" in error


def test_a_bad_boolean_is_a_clear_error(tmp_path):
    code, error = settings_with(tmp_path, DEBUG="maybe")
    assert code != 0
    assert "DEBUG must be a boolean" in error
