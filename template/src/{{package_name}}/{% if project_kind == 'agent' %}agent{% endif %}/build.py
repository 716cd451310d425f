"""Wire the agent from settings: world, tools, model, prompt; and release them at the end.

    agent = build_agent(get_settings(), get_agent_settings())
    try:
        run = agent.run("Customer ana@acme.test was charged twice in March; refund it.")
    finally:
        agent.close()

The tools are the workflow's (`support.py`), `search_policies` over the company documents
(`policies.py`), the file tools when AGENT_SANDBOX_DIR is set, `fetch_url` when
AGENT_HTTP_ALLOWLIST names hosts, and every tool of the MCP servers in AGENT_MCP_SERVERS. The
model is the shared client; `offline` means the scripted agent model (`scripted.py`).
"""

from __future__ import annotations

from ..config import Settings
from ..llm import LLMClient, build_llm
from ..llm.client import OnCall
from ..prompts import load_prompt
from ..retrieval.embeddings import Embedder
from .loop import Agent, Closeable
from .mcp_tools import MCPConnection
from .metrics import initialise_tools, watch_pending
from .policies import PolicySearch
from .runs import RunStatus, RunStore
from .sandbox import fetch_tool, file_tools
from .scripted import ScriptedAgentModel
from .settings import AgentSettings
from .support import support_tools
from .tools import Tool, ToolRegistry
from .world import open_world

PROMPT = "agent_system"


def offline_model(agent_settings: AgentSettings) -> ScriptedAgentModel:
    """Return the model `LLM_PROVIDER=offline` names for the agent: the scripted one."""
    return ScriptedAgentModel(seed=agent_settings.scripted_seed)


def build_agent(
    settings: Settings,
    agent_settings: AgentSettings,
    *,
    llm: LLMClient | None = None,
    on_call: OnCall | None = None,
    embedder: Embedder | None = None,
) -> Agent:
    """Return an agent wired from settings; `Agent.close()` releases what it opened.

    Args:
        settings: The app's settings (the model chain, prices, budgets).
        agent_settings: The agent's (`AGENT_*`).
        llm: The model client to share (the API's, so that its budget is the process's);
            built from `settings` when omitted.
        on_call: Called after every model call, when the client is built here (metrics).
        embedder: The embedder of `search_policies` (default: the shared static one).

    Raises:
        ValueError: Two tools have the same name.
        ToolError: An MCP server did not start.
        sqlalchemy.exc.SQLAlchemyError: The world store cannot be opened.
        LLMConfigError: The model settings cannot work.

    """
    world = open_world(agent_settings.world_url)
    resources: list[Closeable] = [world]
    try:
        policies = PolicySearch(agent_settings, embedder=embedder)
        resources.append(policies)
        tools: list[Tool] = [*support_tools(world), policies.tool()]
        if agent_settings.sandbox_dir is not None:
            tools += file_tools(agent_settings.sandbox_dir)
        if agent_settings.http_allowlist:
            tools.append(
                fetch_tool(agent_settings.http_allowlist, timeout_s=agent_settings.tool_timeout_s)
            )
        for server in agent_settings.mcp_servers:
            connection = MCPConnection(server, timeout_s=agent_settings.tool_timeout_s)
            resources.append(connection)
            tools += connection.tools()
        registry = ToolRegistry(tools)
        client = llm or build_llm(settings, on_call=on_call, offline=offline_model(agent_settings))
        store = RunStore(world)
    except BaseException:
        _close(resources)
        raise
    initialise_tools(registry.names())
    watch_pending(lambda: store.count(RunStatus.PAUSED))
    return Agent(agent_settings, client, registry, store, load_prompt(PROMPT), resources=resources)


def _close(resources: list[Closeable]) -> None:
    """Release what was opened before a failure, newest first."""
    for resource in reversed(resources):
        try:
            resource.close()
        except Exception:  # noqa: S112 - the failure being raised matters more
            continue
