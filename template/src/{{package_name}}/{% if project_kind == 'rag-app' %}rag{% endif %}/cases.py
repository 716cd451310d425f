"""The golden set: one JSON case per line, about the documents of the corpus folder."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..eval_suite import RecordError, SuiteFormat, read_suite
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


_FORMAT = SuiteFormat("golden set", "cases")


def load_cases(path: Path) -> list[Case]:
    """Read the golden set, one JSON object per line.

    Raises:
        SuiteError: The file is missing or empty, or a line is invalid (all are listed).

    """
    return read_suite(path, _case, _FORMAT)


def _case(raw: dict[str, Any]) -> Case:
    """Validate one line: every required field present, no unknown one."""
    known = {f.name: f for f in fields(Case)}
    required = [n for n, f in known.items() if f.default is f.default_factory is MISSING]
    problems = [f"{name}: required" for name in required if name not in raw]
    listing = ", ".join(known)
    problems += [f"{name}: not a case field ({listing})" for name in raw if name not in known]
    if problems:
        raise RecordError(problems)
    return Case(**raw)


def find_corpus(rag: RagSettings, cases_path: Path) -> Path:
    """Find the corpus: RAG_CORPUS_DIR, else relative to the project that holds the cases."""
    if rag.corpus_dir.is_dir():
        return rag.corpus_dir
    candidate = cases_path.resolve().parent.parent / rag.corpus_dir
    if candidate.is_dir():
        return candidate
    raise EvalError(f"No corpus folder at {rag.corpus_dir}; set RAG_CORPUS_DIR")
