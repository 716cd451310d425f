"""The agent's commands: a placeholder so that the shared CLI imports.

The real commands (run, approve, reject, runs, world) come with the agent's runtime.
"""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add the agent's commands to the project CLI (none yet)."""
