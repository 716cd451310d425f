"""One turn at a time on a thread: in the process, and across replicas on PostgreSQL.

A turn reads the thread's active leaf, stores the user message under it, and stores the reply
under that; a second turn on the same thread must wait until the first has stored its reply,
or both would hang under the same leaf. In one process a `threading.Lock` per thread id does
that. On PostgreSQL, replicas share no memory, so the turn also takes a transaction-scoped
advisory lock keyed by the thread (`pg_advisory_xact_lock`) on a connection of its own, held
until the reply is stored: a turn of another replica on that thread waits for it, and a turn
that fails or is abandoned releases it when its transaction ends (or its connection drops).
The lock's connections come from a pool of their own, so that turns waiting for a lock never
take the connections the store needs to finish the turn holding it. SQLite has one writer
and no server: the process lock is what serialises its turns (one replica per file).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func, select

from .database import open_database

LOCK_NAMESPACE = 0x6368  # "ch": the first key of the two-key advisory lock, the thread the second
"""Keeps the chatbot's advisory locks apart from any other lock the database's users take."""
LOCK_POOL = {"pool_size": 5, "max_overflow": 20, "pool_pre_ping": True}
"""Connections that hold turns' locks, per replica: turns in flight on distinct threads beyond
this wait for a connection (`pool_timeout`, 30 s), as turns on one thread wait for each other."""


class ThreadLocks:
    """Serialise the turns on each thread; safe to share between threads of a process."""

    def __init__(self, url: str, backend: str) -> None:
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        """One lock per thread id with a turn under way (a lock no turn holds goes away)."""
        self._guard = threading.Lock()
        self._database: Engine | None = (
            open_database(url, **LOCK_POOL) if backend == "postgresql" else None
        )

    def close(self) -> None:
        """Release the lock connections."""
        if self._database is not None:
            self._database.dispose()

    @contextmanager
    def hold(self, thread_id: str) -> Iterator[None]:
        """Hold `thread_id`'s lock: the process's, then the database's on PostgreSQL."""
        with self._guard:
            lock = self._locks.get(thread_id)
            if lock is None:
                lock = self._locks[thread_id] = threading.Lock()
        with lock:
            if self._database is None:
                yield
                return
            with self._database.connect() as conn, conn.begin():
                key = func.hashtext(thread_id)
                conn.execute(select(func.pg_advisory_xact_lock(LOCK_NAMESPACE, key)))
                yield
