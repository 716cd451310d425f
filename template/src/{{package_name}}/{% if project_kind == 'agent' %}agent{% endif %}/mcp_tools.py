"""Tools from MCP servers (stdio), through the official MCP Python SDK.

`AGENT_MCP_SERVERS` names the servers as JSON, for example the status page this project
ships:

    [{"name": "status", "command": ["python", "-m", "my_agent.agent.status_server"]}]

Each server runs as a child process for the life of the agent. The SDK is asynchronous and the
loop is not, so each connection keeps its own event loop in a background thread; a tool call
is sent there and waited for with the tool's timeout. A server's tools join the registry under
their own names with the schemas the server declares (checked with jsonschema before a call);
they are read-only unless the entry says `"side_effect": true`, which makes them ask for
approval like the agent's own tools that change things.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from concurrent.futures import Future
from typing import Any

from pydantic import BaseModel, Field

from .support import ToolError
from .tools import Tool


class MCPServerConfig(BaseModel):
    """One entry of AGENT_MCP_SERVERS."""

    name: str = Field(min_length=1)
    command: list[str] = Field(min_length=1)
    env: dict[str, str] | None = None
    side_effect: bool = False


class MCPConnection:
    """A running stdio MCP server and the tools it offers, callable from plain threads."""

    def __init__(self, config: MCPServerConfig, *, timeout_s: float = 10.0) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"mcp-{config.name}", daemon=True
        )
        self._ready: Future[list[Any]] = Future()
        self._session: Any = None
        self._closed: asyncio.Event | None = None
        self._thread.start()
        self._serving = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self._stopped = False
        try:
            self.listed = self._ready.result(timeout=timeout_s)
        except Exception as exc:
            self.close()
            raise ToolError(f"MCP server {config.name!r} did not start: {exc}") from exc

    async def _serve(self) -> None:
        """Connect, list the tools, then hold the session open until `close`."""
        from mcp import ClientSession, StdioServerParameters, stdio_client

        self._closed = asyncio.Event()
        command, *args = self.config.command
        params = StdioServerParameters(command=command, args=args, env=self.config.env)
        try:
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.list_tools()
                self._session = session
                self._ready.set_result(list(listed.tools))
                await self._closed.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Call one tool on the server and return its text (JSON for structured results).

        Raises:
            ToolError: The server reported an error, or did not answer in time.

        """
        call = self._session.call_tool(name, arguments)
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            result = future.result(timeout=self.timeout_s)
        except TimeoutError:
            future.cancel()
            raise ToolError(f"{name} did not answer within {self.timeout_s:g} s") from None
        texts = [block.text for block in result.content if getattr(block, "type", "") == "text"]
        text = "\n".join(texts)
        if result.is_error:
            raise ToolError(text or f"{name} failed")
        if result.structured_content is not None:
            return json.dumps(result.structured_content, ensure_ascii=False)
        return text

    def tools(self) -> list[Tool]:
        """Return the server's tools, ready for the registry."""
        return [
            Tool(
                name=listed.name,
                description=listed.description or listed.name,
                fn=_caller(self, listed.name),
                schema=listed.input_schema or {"type": "object"},
                side_effect=self.config.side_effect,
                timeout_s=self.timeout_s,
            )
            for listed in self.listed
        ]

    def close(self) -> None:
        """End the session, wait for the server process to exit, then stop the loop.

        The session's exit (closing the server's stdin, waiting for it, terminating it if it
        lingers) runs on the loop, so the loop stops only after it: no orphan process.
        """
        if self._stopped:
            return
        self._stopped = True
        if self._closed is not None:
            self._loop.call_soon_threadsafe(self._closed.set)
        with contextlib.suppress(Exception):  # a failed start was reported by __init__
            self._serving.result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


def _caller(connection: MCPConnection, name: str) -> Any:
    """Return a function that calls tool `name` on `connection` with keyword arguments."""

    def call(**arguments: Any) -> str:
        return connection.call(name, arguments)

    call.__name__ = name
    return call


def parse_servers(spec: str) -> list[MCPServerConfig]:
    """Read AGENT_MCP_SERVERS (a JSON list; empty means none).

    Raises:
        ValueError: Not a JSON list of server entries.

    """
    if not spec.strip():
        return []
    try:
        data = json.loads(spec)
    except json.JSONDecodeError as exc:
        raise ValueError(f"AGENT_MCP_SERVERS is not JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise ValueError("AGENT_MCP_SERVERS must be a JSON list of {name, command} entries")
    return [MCPServerConfig.model_validate(entry) for entry in data]
