"""Throw-away PostgreSQL places for benches: a schema (search_path) or a whole database,
created fresh so counters start empty, dropped afterwards."""

from __future__ import annotations

import uuid

import psycopg
from sqlalchemy.engine import make_url


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_pg_schema(url: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_pg_schema(url: str, schema: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def fresh_pg_database(url: str, name: str) -> str:
    """CREATE DATABASE `name` on the server of `url` (dropped first if a crashed run left
    it); returns the URL of the new database."""
    drop_pg_database(url, name)
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str, name: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
