"""Find and parse the documents of a folder: Markdown, text, HTML and (with the `pdf` extra) PDF.

Each file becomes a `ParsedDocument`: a list of `Block`s (one paragraph each) that remember the
heading path they sit under, so the structure-aware chunker can keep headings as context.
Files that cannot be used are skipped with a reason instead of failing the whole ingest.

Nothing outside the folder is ever read: every file is resolved to its real path, and one
that lies outside the real folder (a link to `/etc/passwd`, a linked folder elsewhere) is
skipped as `outside_corpus`. A link to a file inside the folder is read like a copy under its
own name; links to folders are never followed, so link loops cannot occur.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = frozenset({*TEXT_SUFFIXES, *HTML_SUFFIXES, ".pdf"})

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_INLINE_MARKUP = (
    (re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+"), ""),  # list markers
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images keep their text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
)
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "table", "blockquote", "dd"]
_TABLE_RULE = re.compile(r"^:?-+:?$")
_UNDERLINE = re.compile(r"^(=+|-+)\s*$")  # under a title line: `=` a title, `-` a section
_ALL_CAPS = re.compile(r"^[^a-z]*[A-Z][^a-z]*[A-Z][^a-z]*$")  # no lower case, two capitals


class IngestError(Exception):
    """The folder cannot be ingested at all (missing, or holds no usable documents)."""


class SkipFileError(Exception):
    """One file is skipped; `reason` is counted in the ingest summary."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """One paragraph of a document and the headings it sits under."""

    headings: tuple[str, ...]
    text: str


@dataclass
class ParsedDocument:
    """A parsed file: its source path (relative to the folder), title, blocks and content hash."""

    source: str
    title: str
    content_hash: str
    blocks: list[Block] = field(default_factory=list)
    decode_replaced: bool = False


def iter_files(folder: Path) -> Iterator[Path]:
    """Yield every file and link under `folder`, sorted, skipping hidden files and folders.

    Folders are walked without following links to folders (so a link loop cannot hang the
    walk); such links, and links to files, are yielded for `parse_file` to check where they
    really point.
    """
    if not folder.is_dir():
        raise IngestError(f"{folder} is not a folder; pass the folder that holds your documents.")
    found: list[Path] = []
    for parent, folders, files in os.walk(folder, followlinks=False):
        here = Path(parent)
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [here / name for name in folders if (here / name).is_symlink()]
        found += [here / name for name in files if not name.startswith(".")]
    yield from sorted(found)


def resolve_inside(path: Path, folder: Path) -> Path:
    """Return the real path of `path`, which must be a file inside the real `folder`.

    Raises:
        SkipFileError: `path` is a broken or looping link (`broken_link`), really lies outside
            the corpus folder (`outside_corpus`), or links to a folder (`symlinked_folder`).

    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a link loop on Python < 3.13
        raise SkipFileError("broken_link", f"broken or looping link ({exc})") from None
    root = folder.resolve()
    if not real.is_relative_to(root):
        raise SkipFileError("outside_corpus", f"links to {real}, outside the corpus {root}")
    if real.is_dir():
        raise SkipFileError(
            "symlinked_folder", "links to a folder; not followed (ingest the folder itself)"
        )
    return real


def parse_file(path: Path, folder: Path, *, max_bytes: int) -> ParsedDocument:
    """Read and parse one file of `folder`; what is read is its real path, never outside `folder`.

    Raises:
        SkipFileError: the file lies outside the folder (through a link), or is unsupported,
            binary, too large, empty or unreadable.

    """
    real = resolve_inside(path, folder)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFileError("unsupported", f"unsupported extension {suffix or '(none)'!r}")
    size = real.stat().st_size
    if size > max_bytes:
        raise SkipFileError("too_large", f"{size} bytes > RAG_MAX_FILE_BYTES={max_bytes}")
    data = real.read_bytes()
    source = path.relative_to(folder).as_posix()
    content_hash = hashlib.sha256(data).hexdigest()
    plain = TEXT_SUFFIXES.get(suffix) == "text"
    if suffix == ".pdf":
        blocks, replaced = _pdf_blocks(data), False
    else:
        if b"\x00" in data[:8192]:
            raise SkipFileError("binary", "looks like a binary file (NUL bytes)")
        text, replaced = _decode(data)
        if suffix in HTML_SUFFIXES:
            blocks = _html_blocks(text)
        else:
            text = mark_plain_headings(text, all_caps=plain)
            blocks = _text_blocks(text)
    if not blocks:
        raise SkipFileError("empty", "no text found")
    title = next((b.headings[0] for b in blocks if b.headings), _title_from_name(path))
    if plain and not re.search(r"(?m)^# ", text):
        title = _title_from_name(path)  # its sections are not its title
    return ParsedDocument(source, title, content_hash, blocks, decode_replaced=replaced)


def _decode(data: bytes) -> tuple[str, bool]:
    """Decode UTF-8 text (BOM allowed); undecodable bytes become U+FFFD and are reported."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def _title_from_name(path: Path) -> str:
    """Turn `getting-started.md` into `Getting started`."""
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


def _plain(line: str) -> str:
    """Drop Markdown's inline markup from one line, so that quoted sentences read as prose."""
    for pattern, replacement in _INLINE_MARKUP:
        line = pattern.sub(replacement, line)
    return line


def mark_plain_headings(text: str, *, all_caps: bool) -> str:
    """Turn plain-text section titles into `#` headings, so that chunks carry their title path.

    A line underlined with `===` becomes a level-1 heading and one underlined with `---` a
    level-2 heading (Markdown's setext headings too); with `all_caps` (plain-text files), a
    short ALL-CAPS line after a blank line becomes a level-2 heading in sentence case, unless
    the next line is indented deeper (a glossary term over its definition) or it is the file's
    first line (a banner: the text keeps it, and the title still comes from the file name,
    which the golden set measured better). Lines in code fences, and lines that are already
    headings or list items, are left alone.
    """
    lines, out = text.splitlines(), []
    in_fence, skip = False, False
    for n, line in enumerate(lines):
        if skip:
            skip = False
            continue
        in_fence ^= line.lstrip().startswith("```")
        title = line.strip()
        after_blank = n == 0 or not lines[n - 1].strip()
        if in_fence or not title or not after_blank or title.startswith(("#", "|", "- ", "* ")):
            out.append(line)
            continue
        following = lines[n + 1] if n + 1 < len(lines) else ""
        underline = _UNDERLINE.match(following.strip())
        term = _indent(following) > _indent(line)  # a term over its indented definition
        if underline and len(underline.group(1)) >= min(3, len(title)):
            out.append(("# " if underline.group(1)[0] == "=" else "## ") + title)
            skip = True
        elif all_caps and _ALL_CAPS.match(title) and len(title.split()) <= 8 and not term and n > 0:
            out.append("## " + title.rstrip(":").capitalize())  # reads (and embeds) as a title
        else:
            out.append(line)
    return "\n".join(out)


def _indent(line: str) -> int:
    """Return how many columns of leading white space a non-blank line has (-1 if blank)."""
    return len(line) - len(line.lstrip()) if line.strip() else -1


def _text_blocks(text: str) -> list[Block]:
    """Split Markdown or plain text into paragraphs, tracking `#` headings (not in code fences)."""
    blocks: list[Block] = []
    headings: list[str] = []
    paragraph: list[str] = []
    in_fence = False

    def flush() -> None:
        lines = [line.strip() for line in paragraph if line.strip()]
        if lines and all(line.startswith("|") for line in lines):
            paragraph[:] = [_markdown_table(lines)]
        body = "\n".join(paragraph).strip()
        if body:
            blocks.append(Block(tuple(headings), body))
        paragraph.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            del headings[level - 1 :]
            headings.extend([""] * (level - 1 - len(headings)))
            headings.append(match.group(2))
        elif not line.strip() and not in_fence:
            flush()
        else:
            paragraph.append(line if in_fence else _plain(line))
    flush()
    return [Block(tuple(h for h in b.headings if h), b.text) for b in blocks]


def _html_blocks(markup: str) -> list[Block]:
    """Extract headings and paragraphs from HTML; malformed markup is parsed leniently."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    blocks: list[Block] = []
    headings: list[str] = []
    for element in soup.find_all(_HTML_BLOCKS):
        if element.find_parent(_HTML_BLOCKS[6:]):
            continue  # nested inside a block we already take whole
        if element.name == "table":
            text = linearise_table(
                [
                    [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                    for row in element.find_all("tr")
                ]
            )
        else:
            text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name in _HTML_BLOCKS[:6]:
            level = int(element.name[1])
            del headings[level - 1 :]
            headings.append(text)
        else:
            blocks.append(Block(tuple(headings), text))
    if not blocks:
        text = " ".join(soup.get_text(" ", strip=True).split())
        if text:
            blocks.append(Block(tuple(headings), text))
    return blocks


def linearise_table(rows: list[list[str]]) -> str:
    """Turn a table (first row = header) into one sentence per row: `Header: cell; ...`.

    Retrieval and extractive answers then see each row as a statement that names its
    columns, instead of a run of bare cells.
    """
    if len(rows) < 2:
        return " ".join(" ".join(row) for row in rows)
    header, lines = rows[0], []
    for row in rows[1:]:
        pairs = [
            f"{name}: {cell}" if name else cell for name, cell in zip(header, row, strict=False)
        ]
        text = "; ".join(pair for pair in pairs if pair.strip())
        if text:
            lines.append(text if text.endswith((".", "!", "?")) else f"{text}.")
    return "\n".join(lines)


def _markdown_table(lines: list[str]) -> str:
    """Linearise a Markdown pipe table."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    rows = [row for row in rows if not all(_TABLE_RULE.match(cell) for cell in row if cell)]
    return linearise_table(rows)


def _pdf_blocks(data: bytes) -> list[Block]:
    """Extract the text of each PDF page (needs the optional `pdf` extra: pypdf)."""
    try:
        from io import BytesIO

        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError as exc:
        raise SkipFileError("pdf_extra_missing", "install the `pdf` extra to ingest PDFs") from exc
    try:
        reader = PdfReader(BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, OSError) as exc:
        raise SkipFileError("unreadable", f"cannot read PDF: {exc}") from exc
    blocks: list[Block] = []
    for number, page in enumerate(pages, start=1):
        for paragraph in re.split(r"\n\s*\n", page):
            if paragraph.strip():
                blocks.append(Block((f"Page {number}",), " ".join(paragraph.split())))
    return blocks
