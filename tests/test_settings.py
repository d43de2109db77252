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
    "'debug': settings.DEBUG, 'secure_cookie': settings.SESSION_COOKIE_SECURE, "
    "'secret_key': settings.SECRET_KEY, 'site_url': settings.SITE_URL}))"
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
            "SITE_URL",
            "PORT",
        }
    }
    clean["ENV_FILE"] = ""  # no developer's .env: the tests say what they set
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


def test_a_dotenv_file_configures_every_local_command(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# local\nDEBUG=true\nSECRET_KEY="k-from-the-file"\n\nexport PORT=8001\n')
    code, found = settings_with(tmp_path, ENV_FILE=str(env_file))
    assert code == 0, found
    assert found["debug"] is True
    assert found["secret_key"] == "k-from-the-file"
    assert found["site_url"] == "http://127.0.0.1:8001"


def test_the_real_environment_wins_over_the_dotenv_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\n")
    code, error = settings_with(tmp_path, ENV_FILE=str(env_file), DEBUG="false")
    assert code != 0
    assert "SECRET_KEY must be set" in error  # production still refuses to start without one


def test_a_malformed_dotenv_line_is_a_clear_error(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nthis is not a setting\n")
    code, error = settings_with(tmp_path, ENV_FILE=str(env_file))
    assert code != 0
    assert f"{env_file}, line 2: expected KEY=VALUE" in error


def test_links_in_e_mails_follow_the_port_unless_site_url_is_set(tmp_path):
    code, found = settings_with(tmp_path, DEBUG="true", PORT="8012")
    assert code == 0, found
    assert found["site_url"] == "http://127.0.0.1:8012"
    code, found = settings_with(
        tmp_path, DEBUG="true", PORT="8012", SITE_URL="https://desk.example/"
    )
    assert found["site_url"] == "https://desk.example"


def test_make_run_writes_a_dotenv_once_and_then_manage_py_needs_no_variables(tmp_path):
    env_file = tmp_path / ".env"
    make = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), f"ENV_FILE={env_file}"]
    subprocess.run([*make, str(env_file)], check=True, capture_output=True, timeout=60)
    first = env_file.read_text()
    subprocess.run([*make, str(env_file)], check=True, capture_output=True, timeout=60)
    assert (tmp_path / ".env").read_text() == first  # never overwritten: sessions survive
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == "0o600"
    code, found = settings_with(tmp_path, ENV_FILE=str(tmp_path / ".env"))
    assert code == 0, found
    assert found["debug"] is True
    assert len(found["secret_key"]) >= 50 and found["secret_key"] in first
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    clean.update(ENV_FILE=str(tmp_path / ".env"), VAR_DIR=str(tmp_path / "var"))
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
