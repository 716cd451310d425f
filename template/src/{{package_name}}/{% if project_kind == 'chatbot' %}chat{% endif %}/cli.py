"""The chatbot's commands: `chat`, `threads`, `evals compare` (and `ingest`, grounded).

`threads` lists, shows, exports and deletes threads; `evals compare` is in `eval_cli.py`.

Exit codes: 0 the turn ended (a refusal is an answer); 1 it failed (the provider, the store;
the message says why, in one line), 2 a usage error (an empty or over-long message, an unknown
thread).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from ..config import get_settings
from ..llm import build_llm
from .engine import (
    ChatEngine,
    ChatEvent,
    ChatInputError,
    ThreadNotFoundError,
    collect,
)
from .eval_cli import register_eval_commands
from .offline import offline_model
from .settings import get_chat_settings
from .store import open_store
from .wiring import GROUNDED, build_retriever

FAILED = frozenset({"error", "partial"})


@contextmanager
def opened_engine() -> Iterator[ChatEngine]:
    """Build the chat engine from the settings; close its store afterwards."""
    chat = get_chat_settings()
    try:
        store = open_store(chat.db_url)
    except SQLAlchemyError as exc:
        raise click.ClickException(_store_error(exc)) from None
    settings = get_settings()
    llm = build_llm(settings, offline=offline_model())
    engine = ChatEngine(settings, chat, llm=llm, store=store, retriever=build_retriever(chat))
    try:
        yield engine
    except SQLAlchemyError as exc:
        raise click.ClickException(_store_error(exc)) from None
    finally:
        store.close()


def _store_error(exc: SQLAlchemyError) -> str:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return f"The message store (CHAT_DB_URL) is not reachable: {reason}"


@click.command("chat")
@click.argument("message")
@click.option("--thread", "thread_id", help="Continue this thread (default: a new one).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole reply as JSON.")
def chat_command(message: str, thread_id: str | None, as_json: bool) -> None:
    """Send MESSAGE and stream the reply (the thread's id goes to stderr)."""
    with opened_engine() as engine:
        try:
            events = engine.turn(thread_id, message)
        except ChatInputError as exc:
            raise click.UsageError(str(exc)) from None
        except ThreadNotFoundError as exc:
            raise click.UsageError(f"{exc}; `threads list` shows them") from None
        if as_json:
            reply = collect(events)
            click.echo(json.dumps(reply.__dict__, indent=2, default=str))
        else:
            reply = collect(_echoed(events))
            click.echo()
            click.echo(f"thread {reply.thread_id}", err=True)
    if reply.status in FAILED:
        raise click.ClickException(f"The reply failed ({reply.status}): {reply.error}")


def _echoed(events: Iterator[ChatEvent]) -> Iterator[ChatEvent]:
    """Print each token as it streams, and pass every event on."""
    for event in events:
        if event.kind == "token":
            sys.stdout.write(event.data["text"])
            sys.stdout.flush()
        yield event


@click.group("threads")
def threads_group() -> None:
    """List, show, export and delete threads."""


@threads_group.command("list")
@click.option("--search", "query", default="", help="Only threads whose title or messages hold Q.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def list_command(query: str, limit: int) -> None:
    """List threads, most recent first."""
    with opened_engine() as engine:
        threads = engine.store.list_threads(query, limit)
    for thread in threads:
        stamp = thread.updated_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{thread.id}  {stamp}  {thread.title or '(untitled)'}")
    if not threads:
        click.echo("No threads." if not query else f"No thread matches {query!r}.")


@threads_group.command("show")
@click.argument("thread_id")
def show_command(thread_id: str) -> None:
    """Print a thread's active branch."""
    with opened_engine() as engine:
        text = engine.store.export_markdown(thread_id)
    if text is None:
        raise click.UsageError(f"No thread {thread_id!r}; `threads list` shows them")
    click.echo(text, nl=False)


@threads_group.command("export")
@click.argument("thread_id")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def export_command(thread_id: str, fmt: str, out: Path | None) -> None:
    """Export a thread: Markdown (the active branch) or JSON (the whole tree)."""
    with opened_engine() as engine:
        if fmt == "json":
            tree = engine.store.export_json(thread_id)
            text = None if tree is None else json.dumps(tree, indent=2) + "\n"
        else:
            text = engine.store.export_markdown(thread_id)
    if text is None:
        raise click.UsageError(f"No thread {thread_id!r}; `threads list` shows them")
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}")


@threads_group.command("delete")
@click.argument("thread_id")
def delete_command(thread_id: str) -> None:
    """Delete a thread."""
    with opened_engine() as engine:
        deleted = engine.store.delete_thread(thread_id)
    if not deleted:
        raise click.UsageError(f"No thread {thread_id!r}; `threads list` shows them")
    click.echo(f"Deleted thread {thread_id}")


@click.command("ingest")
@click.option("--rebuild", is_flag=True, help="Re-embed every document, not only changed ones.")
def ingest_command(rebuild: bool) -> None:
    """Index the documents (CHAT_DOCS_DIR) that replies are grounded in."""
    from .wiring import index_documents

    try:
        click.echo(index_documents(get_chat_settings(), rebuild=rebuild))
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def register(group: click.Group) -> None:
    """Add the chatbot's commands to the project's command line."""
    group.add_command(chat_command)
    group.add_command(threads_group)
    register_eval_commands(group)  # evals compare A B
    if GROUNDED:
        group.add_command(ingest_command)
