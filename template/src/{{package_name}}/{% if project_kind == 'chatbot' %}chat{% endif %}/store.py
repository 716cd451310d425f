"""The message store: threads as trees of messages, through SQLAlchemy Core.

SQLite by default (`CHAT_DB_URL=sqlite:///.chat/chat.sqlite`), PostgreSQL by URL (the
`postgres` extra). A thread is a tree: editing a user message adds a sibling under the same
parent, regenerating a reply adds a sibling assistant message, and the thread's
`active_leaf_id` says which branch is shown and sent to the model (the path from the root to
it). Deleting a thread marks it deleted: every lookup treats it as gone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update

from .database import open_database
from .records import (
    MessageRecord,
    StoreError,
    ThreadRecord,
    Winner,
    message_from_row,
    new_id,
    now,
    thread_from_row,
)
from .tables import ab_votes, messages, metadata, quota_usage, threads
from .thread_lock import ThreadLocks

TITLE_CHARS = 60


class ChatStore:
    """Threads and messages in one database; safe to share between threads of a process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url)
        metadata.create_all(self.engine)
        self.locks = ThreadLocks(url, self.engine.dialect.name)
        """Turns on one thread run one at a time (across replicas on PostgreSQL)."""

    def close(self) -> None:
        """Release the store's connections."""
        self.locks.close()
        self.engine.dispose()

    def ping(self) -> None:
        """Run a trivial query (raises when the database does not answer)."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # --- threads -----------------------------------------------------------------------

    def create_thread(self, title: str = "") -> ThreadRecord:
        """Create an empty thread."""
        at = now()
        record = ThreadRecord(new_id(), title[:TITLE_CHARS], at, at, None)
        with self.engine.begin() as conn:
            conn.execute(
                insert(threads).values(
                    id=record.id,
                    title=record.title,
                    created_at=at,
                    updated_at=at,
                    active_leaf_id=None,
                    deleted=False,
                )
            )
        return record

    def get_thread(self, thread_id: str) -> ThreadRecord | None:
        """Return a thread, or None when it does not exist or was deleted."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(threads).where(threads.c.id == thread_id, threads.c.deleted.is_(False))
            ).first()
        return None if row is None else thread_from_row(row._mapping)

    def list_threads(self, query: str = "", limit: int = 20) -> list[ThreadRecord]:
        """Return threads, most recently updated first; `query` searches titles and messages."""
        statement = select(threads).where(threads.c.deleted.is_(False))
        if query:
            pattern = f"%{query.lower()}%"
            matching = select(messages.c.thread_id).where(
                func.lower(messages.c.content).like(pattern)
            )
            statement = statement.where(
                or_(func.lower(threads.c.title).like(pattern), threads.c.id.in_(matching))
            )
        statement = statement.order_by(threads.c.updated_at.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [thread_from_row(row._mapping) for row in conn.execute(statement)]

    def update_thread(
        self, thread_id: str, *, title: str | None = None, active_leaf_id: str | None = None
    ) -> ThreadRecord | None:
        """Rename a thread or switch its branch; None when the thread is gone.

        Raises:
            StoreError: `active_leaf_id` is not a message of this thread.

        """
        values: dict[str, Any] = {"updated_at": now()}
        if title is not None:
            values["title"] = title[:200]
        if active_leaf_id is not None:
            leaf = self.get_message(active_leaf_id)
            if leaf is None or leaf.thread_id != thread_id:
                raise StoreError(f"message {active_leaf_id!r} is not in thread {thread_id!r}")
            values["active_leaf_id"] = self._deepest(thread_id, active_leaf_id)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.deleted.is_(False))
                .values(**values)
            ).rowcount
        return self.get_thread(thread_id) if changed else None

    def delete_thread(self, thread_id: str) -> bool:
        """Mark a thread deleted; False when there was none."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(threads)
                .where(threads.c.id == thread_id, threads.c.deleted.is_(False))
                .values(deleted=True, updated_at=now())
            ).rowcount
        return bool(changed)

    # --- messages ----------------------------------------------------------------------

    def add_message(self, record: MessageRecord, *, activate: bool = True) -> MessageRecord:
        """Store a message; make it the thread's active leaf (and its title, if first)."""
        row = record.to_dict()
        row["created_at"] = record.created_at
        with self.engine.begin() as conn:
            conn.execute(insert(messages).values(**row))
            values: dict[str, Any] = {"updated_at": now()}
            if activate:
                values["active_leaf_id"] = record.id
            title = conn.execute(
                select(threads.c.title).where(threads.c.id == record.thread_id)
            ).scalar()
            if not title and record.role == "user":
                values["title"] = " ".join(record.content.split())[:TITLE_CHARS]
            conn.execute(update(threads).where(threads.c.id == record.thread_id).values(**values))
        return record

    def get_message(self, message_id: str) -> MessageRecord | None:
        """Return one message (of a thread not deleted), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(messages)
                .join(threads, threads.c.id == messages.c.thread_id)
                .where(messages.c.id == message_id, threads.c.deleted.is_(False))
            ).first()
        return None if row is None else message_from_row(row._mapping)

    def messages(self, thread_id: str) -> list[MessageRecord]:
        """Return every message of a thread (all branches), oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(messages)
                .where(messages.c.thread_id == thread_id)
                .order_by(messages.c.created_at, messages.c.id)
            )
            return [message_from_row(row._mapping) for row in rows]

    def branch(self, thread_id: str, leaf_id: str | None = None) -> list[MessageRecord]:
        """Return the path from the root to `leaf_id` (default: the active leaf), root first."""
        if leaf_id is None:
            thread = self.get_thread(thread_id)
            leaf_id = None if thread is None else thread.active_leaf_id
        by_id = {m.id: m for m in self.messages(thread_id)}
        path: list[MessageRecord] = []
        current = by_id.get(leaf_id) if leaf_id else None
        while current is not None:
            path.append(current)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return path[::-1]

    def _deepest(self, thread_id: str, message_id: str) -> str:
        """Follow the newest child from `message_id` down to a leaf (a branch switch)."""
        children: dict[str | None, list[MessageRecord]] = {}
        for message in self.messages(thread_id):
            children.setdefault(message.parent_id, []).append(message)
        current = message_id
        while children.get(current):
            current = children[current][-1].id
        return current

    # --- quotas ------------------------------------------------------------------------

    def take_quota(self, user_key: str, day: str, limit: int) -> tuple[bool, int]:
        """Count one message of `user_key` on `day`, unless `limit` is reached.

        Returns whether it was allowed, and the count after this call.
        """
        where = (quota_usage.c.user_key == user_key[:200], quota_usage.c.day == day)
        with self.engine.begin() as conn:
            count = conn.execute(select(quota_usage.c.count).where(*where)).scalar()
            if count is None:
                conn.execute(insert(quota_usage).values(user_key=user_key[:200], day=day, count=1))
                return True, 1
            if count >= limit:
                return False, int(count)
            conn.execute(update(quota_usage).where(*where).values(count=quota_usage.c.count + 1))
            return True, int(count) + 1

    # --- A/B ---------------------------------------------------------------------------

    def add_ab(
        self, thread_id: str, message_a: str, message_b: str, prompt_a: str, prompt_b: str
    ) -> str:
        """Record two replies shown side by side (as "a" and "b"); return the vote's id."""
        vote_id = new_id()
        with self.engine.begin() as conn:
            conn.execute(
                insert(ab_votes).values(
                    id=vote_id,
                    thread_id=thread_id,
                    message_a=message_a,
                    message_b=message_b,
                    prompt_a=prompt_a,
                    prompt_b=prompt_b,
                    winner=None,
                    at=now(),
                )
            )
        return vote_id

    def vote_ab(self, vote_id: str, winner: Winner) -> bool | None:
        """Record the winner of a comparison: True, False if it already had one, None if unknown."""
        with self.engine.begin() as conn:
            row = conn.execute(select(ab_votes.c.winner).where(ab_votes.c.id == vote_id)).first()
            if row is None:
                return None
            if row[0] is not None:
                return False
            conn.execute(
                update(ab_votes).where(ab_votes.c.id == vote_id).values(winner=winner, at=now())
            )
        return True

    def ab_results(self) -> list[dict[str, Any]]:
        """Return every decided comparison: the prompts shown as a and b, and the winner."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ab_votes).where(ab_votes.c.winner.is_not(None)))
            return [dict(row._mapping) for row in rows]

    # --- export ------------------------------------------------------------------------

    def export_json(self, thread_id: str) -> dict[str, Any] | None:
        """Return the whole tree of a thread as JSON-ready data, or None when it is gone."""
        thread = self.get_thread(thread_id)
        if thread is None:
            return None
        return {
            **thread.to_dict(),
            "messages": [m.to_dict() for m in self.messages(thread_id)],
        }

    def export_markdown(self, thread_id: str) -> str | None:
        """Return the active branch of a thread as Markdown, or None when it is gone."""
        thread = self.get_thread(thread_id)
        if thread is None:
            return None
        lines = [f"# {thread.title or 'Untitled thread'}", ""]
        for message in self.branch(thread_id):
            who = "User" if message.role == "user" else "Assistant"
            note = "" if message.status == "complete" else f" ({message.status})"
            lines += [f"**{who}**{note}:", "", message.content, ""]
            for source in message.sources:
                lines.append(
                    f"- [{source.get('n')}] {source.get('title')} ({source.get('source')})"
                )
            if message.sources:
                lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def open_store(url: str) -> ChatStore:
    """Open (and create when missing) the message store at `url`."""
    return ChatStore(url)
