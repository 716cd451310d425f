"""Run copier, translating its exceptions into aieng errors.

copier is imported here, inside functions, so that importing the CLI stays fast.
"""

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffolder._source import TemplateSource, readable
from scaffolder.errors import AiengError, BadAnswerError, TemplateError, UsageProblem

_ANSWER_ERRORS = ("Validation error for question", "Invalid choice for", "Question ")


def _first_line(error: BaseException) -> str:
    """Return the first non-empty line of an exception's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _translate(error: Exception) -> AiengError:
    """Map an exception raised by copier to an aieng error with a one-line message."""
    from copier.errors import InteractiveSessionError

    line = _first_line(error)
    stderr = getattr(error, "stderr", None)  # plumbum's ProcessExecutionError: a git failure
    if isinstance(stderr, str) and stderr.strip():
        line = f"git: {stderr.strip().splitlines()[-1]}"
    if isinstance(error, InteractiveSessionError):
        return UsageProblem(
            "No terminal to ask the template's questions on; pass --defaults and --data KEY=VALUE."
        )
    if isinstance(error, ValueError) and line.startswith(_ANSWER_ERRORS):
        return BadAnswerError(f"{line.rstrip('.')}.")
    return TemplateError(f"The template could not be rendered: {line}")


def render(
    source: TemplateSource,
    out: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool,
    user_defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Render the template into ``out`` (which must not exist yet) and return the answers.

    ``data`` fixes answers; ``user_defaults`` only changes what a question offers by default.

    Raises:
        BadAnswerError: copier rejected an answer (a validator or a choice).
        TemplateError: the template is missing or failed to render.

    """
    import copier
    import jinja2
    from copier.errors import CopierError, DirtyLocalWarning

    with warnings.catch_warnings(), readable(source) as read:
        warnings.simplefilter("ignore", DirtyLocalWarning)
        try:
            worker = copier.run_copy(
                read.src,
                out,
                data=dict(data),
                user_defaults=dict(user_defaults or {}),
                vcs_ref=read.vcs_ref,
                defaults=defaults,
                quiet=True,
                cleanup_on_error=True,
            )
        except KeyboardInterrupt:
            raise KeyboardInterrupt from None
        except (CopierError, ValueError, jinja2.TemplateError, OSError) as error:
            raise _translate(error) from error
        if read.record_as is not None:
            _record_source(out / ".copier-answers.yml", read.record_as)
    answers: dict[str, Any] = dict(worker.answers.combined)
    answers["_message_after_copy"] = worker.template.message_after_copy
    return answers


def _record_source(answers_file: Path, recorded: str) -> None:
    """Make the answers file name ``recorded`` as the template (``_src_path``)."""
    import yaml

    value = yaml.safe_dump(recorded, default_style=None).splitlines()[0]
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"_src_path: {value}\n" if line.startswith("_src_path:") else line for line in lines]
    answers_file.write_text("".join(lines), encoding="utf-8")


def render_message(template: str, answers: Mapping[str, Any], dest_display: str) -> str:
    """Render the template's ``_message_after_copy`` with DEST as the user wrote it."""
    import jinja2.sandbox

    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    context = {**answers, "_copier_conf": {"dst_path": dest_display}}
    return env.from_string(template).render(context).rstrip()
