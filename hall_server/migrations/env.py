"""Alembic environment for the hall server (run via `kiosk admin migrate` or at server start).

The caller hands over an open connection in `config.attributes["connection"]`; running
`alembic` by hand with `-x url=…` also works.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hall_server.schema import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
