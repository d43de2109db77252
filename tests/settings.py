"""The test run's settings: config.settings, with each pytest-xdist worker kept apart.

`make test` runs the suite on several workers (processes) at once (pytest-xdist). pytest-django
gives each worker its own test database (PostgreSQL: test_<name>_gw0, _gw1, ...; SQLite: in
memory, one per process). What else a test touches is set apart here, before config.settings
reads the environment, so that this process and every program a test starts from it (make run,
make prod, Celery workers, probes, which inherit the environment) agree:

- VAR_DIR: a directory per worker (static files, the filesystem broker, the beat schedule).
- CELERY_QUEUE: a queue per worker on the shared Redis (tasks the suite publishes and drops).
- CACHE_KEY_PREFIX: the rate-limit, sign-in and API-signature counters per worker, so that
  `counters_clear` of one worker never wipes the counters a test of another is counting.

The run's id is in the names, so two runs sharing a Redis database (the SQLite and PostgreSQL
halves of `make test`, run together) keep apart too. A run without xdist changes nothing.
Programs the tests start read config.settings itself (tests/conftest.py `real_settings_module`).
"""

import os
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    _var_dir = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    os.environ["VAR_DIR"] = str(_var_dir / _worker)
    os.environ["CELERY_QUEUE"] = f"test-{_run}-{_worker}"
    os.environ["CACHE_KEY_PREFIX"] = f"test-{_run}-{_worker}"

from config.settings import *  # noqa: E402, F403
