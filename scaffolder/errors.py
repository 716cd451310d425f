"""Errors with messages meant for the user.

Every error aieng raises on purpose derives from :class:`AiengError`; its message is one line
that says what happened and what to do. The CLI turns them into click errors at one place
(``scaffolder.cli.user_errors``); this module stays free of click so the API is plain Python.
"""


class AiengError(Exception):
    """A failure the user can act on (exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageProblem(AiengError):
    """Wrong use of aieng: a bad argument, option or answer (exit status 2)."""


class UnknownKindError(UsageProblem):
    """KIND is not in the registry."""


class InvalidNameError(UsageProblem):
    """The project name breaks the naming rules."""


class BadAnswerError(UsageProblem):
    """A --data item or an answer is malformed, unknown or rejected by the template."""


class DestinationError(AiengError):
    """DEST cannot receive the project (a file, not empty, not writable, conflicting files)."""


class GitError(AiengError):
    """git is missing or a git command failed."""


class TemplateError(AiengError):
    """The template could not be found or rendered."""


class UpdateRefused(AiengError):
    """An update cannot start; nothing was changed (not a project, dirty tree, downgrade...)."""


class TemplateNotFoundError(UpdateRefused):
    """The template a project was made from cannot be found where its answers file says."""
