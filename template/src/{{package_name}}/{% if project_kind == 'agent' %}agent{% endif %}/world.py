"""The world the agent acts on: customers, invoices, tickets and what the agent changed.

One embedded SQLite file by default (`AGENT_WORLD_URL=sqlite:///.agent/world.sqlite`), or a
PostgreSQL database by URL (`postgresql://…`), through SQLAlchemy Core so that one set of
statements serves both. The schema is created and the sample data seeded on first open, so a
new project's demo and evals act on real rows, and every side effect is a row an eval can
check. Runs and threads live in the same store (`runs.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("plan", sa.String(20), nullable=False),  # starter | business | enterprise
    sa.Column("billing", sa.String(10), nullable=False),  # monthly | annual
    sa.Column("seats", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # active | read_only | cancelled
    sa.Column("since", sa.Date, nullable=False),
)
invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("period", sa.String(7), nullable=False),  # YYYY-MM the invoice covers
    sa.Column("issued", sa.Date, nullable=False),
    sa.Column("amount_usd", sa.Numeric(10, 2), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # paid | open | refunded
    sa.Column("charge_id", sa.String(32), nullable=False),  # the payment provider's charge
)
refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invoice_id", sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("amount_usd", sa.Numeric(10, 2), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("run_id", sa.String(40)),
)
plan_changes = sa.Table(
    "plan_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("from_plan", sa.String(20), nullable=False),
    sa.Column("to_plan", sa.String(20), nullable=False),
    sa.Column("effective", sa.String(20), nullable=False),  # now | next_renewal
    sa.Column("run_id", sa.String(40)),
)
tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | pending | solved
)
ticket_notes = sa.Table(
    "ticket_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("run_id", sa.String(40)),
)

SEED_FILE = Path(__file__).with_name("seed.json")
"""The sample data: Northwind Cloud's customers, their invoices and open tickets."""

TODAY = date(2026, 3, 20)
"""The world's fixed "today", so that policy windows (30 days) give the same answers forever."""


@dataclass(frozen=True)
class World:
    """An open world store."""

    engine: Engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """Open a transaction: committed when the block ends, rolled back on an error."""
        with self.engine.begin() as connection:
            yield connection

    def rows(self, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
        """Return the rows of `table` matching every `column=value`, as JSON-ready dicts."""
        query = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
        with self.engine.connect() as connection:
            return [
                _plain(dict(row._mapping))
                for row in connection.execute(query.order_by(*table.primary_key))
            ]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Return every world table (not runs), for comparing final states in evals."""
        return {
            table.name: self.rows(table)
            for table in metadata.sorted_tables
            if table.info.get("world", True)
        }

    def ping(self) -> None:
        """Run a trivial query; raise when the store cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(sa.select(1))

    def reset(self) -> None:
        """Drop the world tables and seed the sample data again (runs and threads are kept)."""
        tables = [table for table in metadata.sorted_tables if table.info.get("world", True)]
        metadata.drop_all(self.engine, tables=tables)
        _create_and_seed(self.engine)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_world(url: str) -> World:
    """Open (and on first use create and seed) the world at `url`.

    `sqlite:///relative/path` is relative to the working directory; its folder is created.
    `postgresql://…` uses psycopg 3.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    engine = _engine(url)
    if not sa.inspect(engine).has_table(customers.name):
        _create_and_seed(engine)
    return World(engine)


def _engine(url: str) -> Engine:
    """Create the engine; SQLite in WAL mode, so that readers never wait for a writer.

    With WAL and `synchronous=NORMAL` a commit costs tens of microseconds instead of an fsync
    (a run is saved after every step); a crash can lose the last commits, never corrupt the
    file. Concurrent writers wait up to 30 s for each other. A PostgreSQL server that does not
    answer fails the connection after 5 s instead of hanging.
    """
    if not url.startswith("sqlite"):
        connect_args = {"connect_timeout": 5} if url.startswith("postgresql") else {}
        return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _create_and_seed(engine: Engine) -> None:
    """Create the tables and insert the sample data."""
    metadata.create_all(engine)
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    with engine.begin() as connection:
        for table in (customers, invoices, tickets, refunds):
            rows = [_typed(table, row) for row in seed[table.name]]
            connection.execute(table.insert(), rows)


def _typed(table: sa.Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """Convert JSON seed values to the column types (dates, decimals)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        column_type = table.c[key].type
        if isinstance(column_type, sa.Date):
            out[key] = date.fromisoformat(value)
        elif isinstance(column_type, sa.Numeric):
            out[key] = Decimal(str(value))
        else:
            out[key] = value
    return out


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a row with JSON-ready values (dates as ISO text, decimals as floats)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = float(value)
        else:
            out[key] = value
    return out
