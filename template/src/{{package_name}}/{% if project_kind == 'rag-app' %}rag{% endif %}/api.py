"""HTTP endpoints of the RAG app: ask a question, re-ingest the corpus, list the documents.

`GET /samples` gives the web page its sample questions; the page itself is `web/panel.js`.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from ..config import Settings, get_settings
from ..dependencies import get_llm
from ..llm import LLMClient
from ..llm.types import Provider
from ..operations import track
from ..retrieval.documents import IngestError
from ..retrieval.embeddings import signal_embedder
from ..retrieval.ingest import ingest_folder
from ..retrieval.settings import RagSettings, get_rag_settings
from ..retrieval.store import StoreError, open_store
from .pipeline import RagPipeline
from .samples import SAMPLES
from .signals import track_answer

router = APIRouter(tags=["rag"])

#: The heading of the web page (the shared shell shows it; this kind's panel is web/panel.js).
PAGE_TITLE = "Ask the documents"

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class AskRequest(BaseModel):
    """A question, and optionally how many chunks to retrieve."""

    model_config = ConfigDict(extra="forbid")

    question: Question = Field(description="The question, 1 to 2000 characters.")
    top_k: int | None = Field(default=None, ge=1, le=50)


class IngestRequest(BaseModel):
    """No fields: `POST /ingest` always re-indexes the server's own RAG_CORPUS_DIR."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_fields(cls, data: Any) -> Any:
        """Refuse any field, saying where the folder comes from."""
        if isinstance(data, dict) and data:
            raise PydanticCustomError(
                "extra_forbidden",
                "POST /ingest takes no fields ({fields}): the folder it indexes is the "
                "server's RAG_CORPUS_DIR; to index another folder, set RAG_CORPUS_DIR or run "
                "the `ingest FOLDER` command",
                {"fields": ", ".join(sorted(map(str, data)))},
            )
        return data


class CitationOut(BaseModel):
    """A cited source, with the passage (the chunk's text) that the answer cites."""

    n: int
    chunk_id: str
    source: str
    title: str
    score: float
    text: str = Field(default="", description="The cited passage, as plain text.")


class AskResponse(BaseModel):
    """The answer with its citations, timings, usage and cost."""

    answer: str
    citations: list[CitationOut]
    refused: bool
    retrieval_ms: float
    generation_ms: float
    usage: dict[str, Any] | None
    cost_usd: float
    prompt_version: str


class SampleOut(BaseModel):
    """A sample question for the web page, and whether it should be answered or refused."""

    question: str
    expect: Literal["answer", "refusal"]


class DocumentOut(BaseModel):
    """An indexed source file."""

    source: str
    title: str
    chunks: int


@lru_cache(maxsize=1)
def _pipeline(llm: LLMClient) -> RagPipeline:
    """Return the process-wide pipeline around the app's model client."""
    return RagPipeline(get_settings(), get_rag_settings(), llm=llm)


def get_pipeline(llm: Annotated[LLMClient, Depends(get_llm)]) -> RagPipeline:
    """Return the pipeline, sharing the app's model client and budget (tests override this)."""
    return _pipeline(llm)


Pipeline = Annotated[RagPipeline, Depends(get_pipeline)]


@router.post("/ask", response_model=AskResponse)
def ask(request: AskRequest, pipeline: Pipeline, http: Request) -> dict[str, Any]:
    """Answer a question from the indexed documents, with numbered citations."""
    started = time.perf_counter()
    try:
        answer = pipeline.ask(request.question, top_k=request.top_k)
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from exc
    latency_ms = (time.perf_counter() - started) * 1000
    q, k = request.question, request.top_k
    track(http, lambda: track_answer(q, k, answer, latency_ms, signal_embedder()))
    return answer.to_dict()


INGEST_DESCRIPTION = """Re-index the server's corpus folder, `RAG_CORPUS_DIR` (default
`data/corpus`): new and changed files are embedded, removed ones leave the index. The request
takes no body (or `{}`); the folder cannot be chosen by the client.

**Unauthenticated unless `API_KEY` is set**: without it, anyone who can reach the server can
trigger a re-index. Set `API_KEY` (and `RATE_LIMIT`) before exposing the server."""


@router.post("/ingest", description=INGEST_DESCRIPTION)
def ingest(
    pipeline: Pipeline, body: Annotated[IngestRequest | None, Body()] = None
) -> dict[str, Any]:
    """Re-index the server's RAG_CORPUS_DIR."""
    try:
        summary = ingest_folder(pipeline.rag.corpus_dir, pipeline.rag, embedder=pipeline.embedder)
    except IngestError as exc:
        raise HTTPException(400, str(exc)) from exc
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from exc
    return summary.to_dict()


@router.get("/samples", response_model=list[SampleOut])
def samples() -> list[dict[str, str]]:
    """List the web page's sample questions: some the sample corpus answers, one it refuses."""
    return [{"question": s.question, "expect": s.expect} for s in SAMPLES]


@router.get("/documents", response_model=list[DocumentOut])
def documents(pipeline: Pipeline) -> list[dict[str, Any]]:
    """List the indexed source files and their chunk counts."""
    try:
        return [d.__dict__ for d in pipeline.store.documents()]
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from exc


def offline_model() -> Provider | None:
    """Return the kind's own offline model: none, the shared extractive one answers."""
    return None


def ready(settings: Settings, rag: RagSettings | None = None) -> bool:
    """Tell whether the index exists and holds at least one chunk."""
    try:
        store = open_store(rag or get_rag_settings())
    except StoreError:
        return False
    try:
        return store.count_chunks() > 0
    finally:
        store.close()
