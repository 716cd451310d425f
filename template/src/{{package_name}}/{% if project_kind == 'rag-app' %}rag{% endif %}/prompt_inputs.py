"""What the answer prompt sees for each golden case, for the prompt snapshots (kind contract).

Each case is rendered with its relevant documents as sources, in the order the case lists them:
the document's title and its opening paragraphs (whole paragraphs, about a chunk's worth). They
depend on the golden set, the corpus and the parser only, not on chunking, retrieval, the store
or the embedder, so the snapshots are the same in every setup and move only when the prompt,
the golden set or the corpus moves. Unanswerable cases render with no sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..prompts import load_prompt
from ..retrieval.documents import ParsedDocument, parse_file
from ..retrieval.settings import RagSettings, get_rag_settings
from .cases import find_corpus, load_cases
from .pipeline import PROMPT_NAME

EXCERPT_WORDS = 120
"""Paragraphs of a document are taken until the excerpt holds at least this many words."""


def eval_prompts(rag: RagSettings | None = None) -> list[str]:
    """Return the prompt versions the eval suite uses, as `name@version` (RAG_PROMPT_VERSION)."""
    rag = rag or get_rag_settings()
    prompt = load_prompt(PROMPT_NAME, rag.prompt_version or None)
    return [f"{prompt.name}@{prompt.version}"]


def excerpt(document: ParsedDocument, words: int = EXCERPT_WORDS) -> str:
    """Return the document's opening paragraphs, at least `words` words (or all of it)."""
    taken: list[str] = []
    for block in document.blocks:
        taken.append(block.text)
        if sum(len(text.split()) for text in taken) >= words:
            break
    return "\n\n".join(taken)


def golden_prompt_inputs(
    cases_path: Path, rag: RagSettings | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """Return, for the answer prompt, each golden case's render variables, in golden-set order."""
    rag = rag or get_rag_settings()
    corpus = find_corpus(rag, cases_path)
    documents: dict[str, ParsedDocument] = {}
    inputs: dict[str, dict[str, Any]] = {}
    for case in load_cases(cases_path):
        sources = []
        for n, source in enumerate(case.relevant, start=1):
            if source not in documents:
                path = corpus / source
                documents[source] = parse_file(path, corpus, max_bytes=rag.max_file_bytes)
            document = documents[source]
            sources.append({"n": n, "title": document.title, "text": excerpt(document)})
        inputs[case.id] = {"question": case.question, "sources": sources}
    return {PROMPT_NAME: inputs}
