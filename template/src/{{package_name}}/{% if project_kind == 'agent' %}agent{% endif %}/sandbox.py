"""Tools that touch files and the web, fenced: one sandbox folder, allowlisted hosts only.

`read_file` / `write_file` / `list_files` work inside `AGENT_SANDBOX_DIR`: a path is resolved
(links included) and refused when it lands outside. `fetch_url` reaches only the hosts named in
`AGENT_HTTP_ALLOWLIST` (exact host names, http or https), follows no redirect, and returns at
most `max_bytes` of the body. What comes back is data for the model, never instructions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field

from ..llm.tls import tls_context
from .support import ToolError
from .tools import Tool, make_tool

MAX_FILE_BYTES = 100_000


def inside(root: Path, path: str) -> Path:
    """Return `path` resolved inside `root`, or raise when it escapes.

    Raises:
        ToolError: An absolute path, or one that resolves (through `..` or a link) outside.

    """
    if Path(path).is_absolute():
        raise ToolError(f"{path!r} is absolute; give a path inside the sandbox")
    base = root.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base):
        raise ToolError(f"{path!r} is outside the sandbox")
    return target


def sandbox_tools(
    root: Path, allowlist: list[str], *, timeout_s: float = 5.0, max_bytes: int = 50_000
) -> list[Tool]:
    """Return the file tools (over `root`) and the web tool (to `allowlist` hosts)."""
    return [*file_tools(root), fetch_tool(allowlist, timeout_s=timeout_s, max_bytes=max_bytes)]


def file_tools(root: Path) -> list[Tool]:
    """Return `list_files`, `read_file` and `write_file` over the folder `root` (created)."""
    root.mkdir(parents=True, exist_ok=True)

    def list_files() -> list[str]:
        """List the files in the sandbox folder."""
        base = root.resolve()
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())

    def read_file(path: Annotated[str, Field(min_length=1, max_length=300)]) -> str:
        """Read a text file from the sandbox folder.

        Args:
            path: The file's path inside the sandbox, such as exports/march.csv.
        """
        target = inside(root, path)
        if not target.is_file():
            raise ToolError(f"no file {path!r} in the sandbox")
        data = target.read_bytes()[:MAX_FILE_BYTES]
        return data.decode("utf-8", errors="replace")

    def write_file(
        path: Annotated[str, Field(min_length=1, max_length=300)],
        content: Annotated[str, Field(max_length=MAX_FILE_BYTES)],
    ) -> dict[str, Any]:
        """Write a text file in the sandbox folder (a draft e-mail, a report).

        Args:
            path: The file's path inside the sandbox, such as drafts/reply-T-101.md.
            content: The text to write.
        """
        target = inside(root, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return {"path": path, "bytes": len(content.encode())}

    return [
        make_tool(list_files),
        make_tool(read_file),
        make_tool(write_file, side_effect=True),
    ]


def fetch_tool(allowlist: list[str], *, timeout_s: float = 5.0, max_bytes: int = 50_000) -> Tool:
    """Return `fetch_url`, which reaches only the hosts of `allowlist`."""

    def fetch_url(url: Annotated[str, Field(min_length=8, max_length=2000)]) -> dict[str, Any]:
        """Fetch a web page from an allowlisted host (such as the status page).

        Args:
            url: The http(s) address to read.
        """
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise ToolError(f"{url!r} is not an http(s) address")
        if host not in allowlist:
            allowed = ", ".join(allowlist) or "none"
            raise ToolError(f"{host} is not an allowed host (AGENT_HTTP_ALLOWLIST: {allowed})")
        try:
            response = httpx.get(  # the shared TLS context: none built per call (llm/tls.py)
                url, timeout=timeout_s, follow_redirects=False, verify=tls_context()
            )
        except httpx.HTTPError as exc:
            raise ToolError(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.is_redirect:
            raise ToolError(f"{url} redirects to {response.headers.get('location')}; not followed")
        return {
            "status": response.status_code,
            "content_type": response.headers.get("content-type", ""),
            "text": response.content[:max_bytes].decode("utf-8", errors="replace"),
        }

    return make_tool(fetch_url)
