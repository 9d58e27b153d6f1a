"""The exceptions tenure raises.

Every error a user can cause is a :class:`TenureError`. Its message is one sentence that
says what was received, what is allowed and what to try; the CLI prints it on one line and
exits non-zero, and shows a traceback only with ``--debug``. Anything else is a bug.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "ModelError",
    "NotFittedError",
    "NotFoundError",
    "TenureError",
    "WorkspaceError",
]


class TenureError(Exception):
    """Base class for every error caused by input, configuration or usage."""


class ConfigError(TenureError):
    """A setting in ``tenure.toml``, a mapping file or an argument is not valid."""


class WorkspaceError(TenureError):
    """A workspace cannot be found, opened or migrated."""


class InputError(TenureError):
    """A file or DataFrame cannot be read as a whole.

    Carries the source and, where there is one, the row and column, so that the message
    names the place to look.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.column = column
        where = []
        if source:
            where.append(str(source))
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column '{column}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ModelError(TenureError):
    """A model cannot be fitted or used as asked (too little data, a bad option)."""


class NotFittedError(ModelError, AttributeError):
    """A prediction was asked of a model that has not been fitted yet."""


class NotFoundError(TenureError):
    """A customer, job or token asked for by name does not exist, or is not the asker's to
    see (the two are told apart to nobody, so that a name reveals nothing)."""
