"""How a failed command reads: one line naming what is wrong, never a traceback."""

from __future__ import annotations

from domestyx.domain.model.errors import DomainError
from domestyx.entrypoints.settings import SettingsError

_MAX = 300  # a driver's message can carry a whole SQL statement; the gist fits on a line


class CliError(Exception):
    """A refusal the command explains itself; `code` is the exit status."""

    def __init__(self, message: str, *, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def describe(exc: BaseException) -> str:
    """The first line of what went wrong, with the kind of failure when it is not ours."""
    if isinstance(exc, DomainError):
        return exc.detail
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    cause = exc.__cause__
    if not text and cause is not None:
        return describe(cause)
    kind = type(exc).__name__
    if text and type(exc).__module__.startswith("domestyx."):
        return text[:_MAX]  # our own exceptions say what is wrong; a library's need its name
    return f"{kind}: {text[:_MAX]}" if text else kind


def settings_line(exc: SettingsError) -> str:
    """One problem on one line; several are listed, one per line, so each can be fixed."""
    if len(exc.problems) == 1:
        return f"invalid configuration: {exc.problems[0]}"
    listed = "\n".join(f"  - {p}" for p in exc.problems)
    return f"invalid configuration ({len(exc.problems)} problems):\n{listed}"
