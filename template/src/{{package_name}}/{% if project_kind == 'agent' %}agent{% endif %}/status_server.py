"""A small MCP server the project ships: Northwind Cloud's status page, over stdio.

    python -m <package>.agent.status_server

It serves two read-only tools, `service_status` and `incidents`, from a fixed incident log,
so that the agent's MCP path (AGENT_MCP_SERVERS) runs for real in tests, the demo and the
evals without any network. Any other stdio MCP server is configured the same way.
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer

INCIDENTS: list[dict[str, Any]] = [
    {
        "id": "INC-2026-031",
        "date": "2026-03-12",
        "region": "eu-west",
        "service": "sync",
        "minutes": 186,
        "summary": "File sync stalled for EU customers after a storage node failure.",
    },
    {
        "id": "INC-2026-018",
        "date": "2026-02-03",
        "region": "us-east",
        "service": "web app",
        "minutes": 22,
        "summary": "The web app returned errors during a database failover.",
    },
]

server = MCPServer("northwind-status")


@server.tool()
def service_status(region: str = "all") -> dict[str, Any]:
    """Return the current status of Northwind Cloud's services.

    Args:
        region: eu-west, us-east, or all.
    """
    regions = ["eu-west", "us-east"] if region == "all" else [region]
    return {name: "operational" for name in regions}


@server.tool()
def incidents(month: str) -> list[dict[str, Any]]:
    """List the incidents of one month from the status page's log.

    Args:
        month: The month as YYYY-MM, such as 2026-03.
    """
    return [incident for incident in INCIDENTS if incident["date"].startswith(month)]


if __name__ == "__main__":
    server.run("stdio")
