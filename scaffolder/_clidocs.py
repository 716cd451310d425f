"""Generate ``docs/cli.md`` from the commands' ``--help``.

Run ``python -m scaffolder._clidocs`` after changing a command; a test fails while the file
is out of date.
"""

from pathlib import Path

import click

from scaffolder.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
WIDTH = 88
HEADER = """\
# `aieng` command reference

Generated from `--help` by `python -m scaffolder._clidocs`; do not edit by hand
(`tests/test_cli.py` checks that it is current).
"""


def _help(command: click.Command, path: list[str], parent: click.Context | None) -> str:
    """Return the help text of ``command`` as the terminal would show it."""
    ctx = click.Context(
        command,
        info_name=path[-1],
        parent=parent,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
        **command.context_settings,
    )
    return command.get_help(ctx)


def render() -> str:
    """Return the Markdown reference for ``aieng`` and each of its commands."""
    root = click.Context(
        main,
        info_name="aieng",
        terminal_width=WIDTH,
        max_content_width=WIDTH,
        **main.context_settings,
    )
    sections = [HEADER, "## `aieng`\n\n```text\n" + main.get_help(root) + "\n```\n"]
    for name in sorted(main.list_commands(root)):
        command = main.get_command(root, name)
        if command is not None:
            text = _help(command, ["aieng", name], root)
            sections.append(f"## `aieng {name}`\n\n```text\n{text}\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
