"""The RAG app's commands: `ingest [FOLDER]` and `ask QUESTION`.

The project CLI reports settings, model and file errors; these commands report the RAG ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import get_settings
from ..retrieval.documents import IngestError
from ..retrieval.settings import get_rag_settings
from ..retrieval.store import StoreError


@click.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Drop the index and embed everything again.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(folder: Path | None, rebuild: bool, as_json: bool) -> None:
    """Index the documents of FOLDER (default: RAG_CORPUS_DIR, data/corpus).

    Only new or changed files are embedded again; files that disappeared leave the index.
    """
    from ..retrieval.ingest import ingest_folder

    rag = get_rag_settings()
    try:
        summary = ingest_folder(
            folder or rag.corpus_dir, rag, rebuild=rebuild, progress=not as_json
        )
    except (IngestError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(summary.to_dict(), indent=2) if as_json else summary.describe())


@click.command()
@click.argument("question")
@click.option("--top-k", type=click.IntRange(1, 50), help="Chunks to retrieve (RAG_TOP_K).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def ask(question: str, top_k: int | None, as_json: bool) -> None:
    """Answer QUESTION from the indexed documents, citing them as [n]."""
    from .pipeline import RagPipeline

    if not question.strip():
        raise click.UsageError("QUESTION is empty; ask something, e.g. ask 'How do I log in?'")
    try:
        pipeline = RagPipeline(get_settings(), get_rag_settings())
        answer = pipeline.ask(question.strip(), top_k=top_k)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
        return
    click.echo(answer.text)
    if answer.citations:
        click.echo("")
        for citation in answer.citations:
            click.echo(f"[{citation.n}] {citation.title} ({citation.source})")
    click.echo(
        f"\n({answer.retrieval_ms:.0f} ms retrieval, {answer.generation_ms:.0f} ms generation, "
        f"${answer.cost_usd:.6f}, {answer.prompt_version})"
    )


def register(group: click.Group) -> None:
    """Add the RAG commands to the project CLI."""
    group.add_command(ingest)
    group.add_command(ask)
