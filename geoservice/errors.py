"""Errors a user can cause, each with a message that says what was wrong and what to do.

They subclass built-in exceptions so callers that do not know them still catch them
(as OSMnx's ``_errors.py`` does). The CLI and the web app turn them into one clear
line (exit code 2) or a 4xx JSON reply; anything else is a programming error.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(ValueError):
    """Bad input from a user: a file, an argument, an id that does not exist.

    ``field`` names the argument or request field at fault, when there is one (the web
    API answers 422 with it in ``details``)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(UserError, LookupError):
    """A worker, client, or other record named by the user does not exist."""


class WorkspaceError(UserError):
    """The workspace is missing, not initialised, or from an incompatible version."""


@dataclass(frozen=True)
class ImportIssue:
    """One problem found in an import file.

    Attributes
    ----------
    file
        File name as the user gave it.
    row
        Where in the file: ``"row 7"`` (CSV line number, the header is row 1) or
        ``"feature 3"`` (1-based position in a GeoJSON/GeoPackage layer); empty for
        whole-file problems.
    field
        Column or property name; empty when the problem is the whole row or file.
    value
        The offending value as written in the file (may be empty).
    message
        What is wrong and, where it helps, what would be right.
    """

    file: str
    row: str
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.row) if p)
        what = f"field '{self.field}'" if self.field else ""
        if self.field and self.value != "":
            what += f" = {self.value!r}"
        return f"{where}: {what + ': ' if what else ''}{self.message}"

    def as_dict(self) -> dict[str, str]:
        """The issue as a JSON-ready mapping (for the web API's ``details``)."""
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value,
                "message": self.message}


#: At most this many problems are listed (a wrong file could have a million).
MAX_ISSUES = 1000


class ImportRejected(UserError):
    """An import had problems; nothing was stored. ``issues`` lists them, the first
    :data:`MAX_ISSUES` at most (a last issue then says how many more there were)."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        n = len(issues)
        if n > MAX_ISSUES:
            issues = [*issues[:MAX_ISSUES], ImportIssue(issues[0].file, "", "", "",
                                                          f"and {n - MAX_ISSUES:,} more problems not listed")]
        self.issues = issues
        first = str(issues[0]) if issues else "no details"
        others = f" (and {n - 1} more problem{'s' if n > 2 else ''})" if n > 1 else ""
        super().__init__(f"import rejected, nothing stored: {first}{others}")
