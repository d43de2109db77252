"""Shared by the benchmarks: each works in its own PostgreSQL database, created on first use.

BENCH_DATABASE_URL names the server (its database name is ignored).
"""

import os
from urllib.parse import urlsplit, urlunsplit

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{name}"))


def ensure_database(name: str) -> str:
    """Create the database if it is missing; return its URL."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def recreate_database(name: str) -> str:
    """Drop the database (closing its connections) and create it empty; return its URL."""
    drop_database(name)
    return ensure_database(name)


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
