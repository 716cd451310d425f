"""The golden set: one JSON case per line, about the documents of the corpus folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluation import EvalError
from ..retrieval.settings import RagSettings


@dataclass(frozen=True)
class Case:
    """One golden question."""

    id: str
    question: str
    relevant: list[str]
    answerable: bool
    category: str = "factual"
    must_include: list[str] = field(default_factory=list)
    must_not_include: list[str] = field(default_factory=list)


def load_cases(path: Path) -> list[Case]:
    """Read the golden set, one JSON object per line."""
    if not path.exists():
        raise EvalError(f"No eval cases at {path}")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(Case(**raw))
        except (ValueError, TypeError) as exc:
            raise EvalError(f"{path}:{number} is not a valid case ({exc})") from None
    if not cases:
        raise EvalError(f"{path} holds no cases")
    return cases


def find_corpus(rag: RagSettings, cases_path: Path) -> Path:
    """Find the corpus: RAG_CORPUS_DIR, else relative to the project that holds the cases."""
    if rag.corpus_dir.is_dir():
        return rag.corpus_dir
    candidate = cases_path.resolve().parent.parent / rag.corpus_dir
    if candidate.is_dir():
        return candidate
    raise EvalError(f"No corpus folder at {rag.corpus_dir}; set RAG_CORPUS_DIR")
