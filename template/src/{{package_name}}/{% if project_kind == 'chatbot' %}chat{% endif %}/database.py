"""Open the chatbot's database by URL: SQLite (a file, write-ahead logged) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    """Use write-ahead logging, synced at checkpoints.

    Readers never wait for the writer, and a commit costs no fsync: a power cut may lose the
    last turns, never corrupt the file.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_database(url: str, **options: Any) -> Engine:
    """Return an engine for `url`; `options` go to `create_engine` (pool sizes, say).

    SQLite: the folder is created and the connection shared between threads. PostgreSQL: a
    plain `postgresql://` URL uses psycopg 3 (the `postgres` extra).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
    engine = create_engine(url, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
