"""Read a grounded prompt back into its numbered sources and question (for the offline model).

Two formats are understood:

- fenced (`rag_answer@v2` and later): each source inside
  `<source id="n" title="...">` ... `</source>`, the question inside `<question>` ...
  `</question>`. Fence tags inside the text were defused when the prompt was rendered
  (`prompts.untrusted`), so the fences are read exactly: text cannot end its source early,
  forge another source or pose as the question.
- plain (`rag_answer@v1`): `Sources:`, then `[n] title` lines each followed by text, then
  `Question:`. A document line that looks like `[n] title` is read as a new source here: that
  ambiguity is why v2 fences its sources.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_SOURCE_HEADER = re.compile(r"^\[(\d+)\]\s*(.*)$")
_FENCED_SOURCE = re.compile(r'<source id="(\d+)" title="([^"]*)">\n?(.*?)\n?</source>', re.DOTALL)
_FENCED_QUESTION = re.compile(r"<question>\n?(.*?)\n?</question>", re.DOTALL)


@dataclass(frozen=True)
class Source:
    """One numbered source from a grounded prompt."""

    number: int
    title: str
    text: str


def parse_grounded(text: str) -> tuple[list[Source], str] | None:
    """Split a grounded prompt into its sources and question, or None for other input."""
    question = _FENCED_QUESTION.search(text)
    if "<sources>" in text and question is not None:
        sources = [
            Source(int(m.group(1)), html.unescape(m.group(2)), m.group(3).strip())
            for m in _FENCED_SOURCE.finditer(text.partition("<question>")[0])
        ]
        return sources, question.group(1).strip()
    if "Sources:" not in text or "Question:" not in text:
        return None
    return _parse_plain(text)


def _parse_plain(text: str) -> tuple[list[Source], str]:
    """Parse the unfenced v1 format: `Sources:`, `[n] title` blocks, then `Question:`."""
    body, _, question = text.partition("Sources:")[2].rpartition("Question:")
    sources: list[Source] = []
    lines: list[str] = []
    header: tuple[int, str] | None = None
    for line in [*body.splitlines(), "[0] end"]:
        match = _SOURCE_HEADER.match(line.strip())
        if match is None:
            lines.append(line.rstrip())
            continue
        if header is not None:
            sources.append(Source(header[0], header[1], "\n".join(lines).strip()))
        header, lines = (int(match.group(1)), match.group(2).strip()), []
    return sources, question.strip()
