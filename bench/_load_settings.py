"""Settings for bench/load.py's gunicorn and Celery worker: production settings, with the
help center's rate limits raised so the bench's few loopback clients are never throttled."""

from config.settings import *  # noqa: F403

TICKETS_RATE_LIMITS = dict.fromkeys(
    ("submit_ip", "submit_open_id", "check_ip", "api_app"), (10**9, 3600)
)
