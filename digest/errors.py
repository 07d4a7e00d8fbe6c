"""The project's error types.

Core modules raise these and never print or exit; ``digest.cli`` is the one
place that turns them into ``Error: ...`` on stderr and an exit code.
"""

from __future__ import annotations

from digest.text import collapse, printable_name, storable

# Exit codes a cron user can act on (documented in README "Exit codes"); usage errors
# (exit 2) are click's.
EXIT_ERROR = 1
EXIT_BUSY = 75  # EX_TEMPFAIL: another digest holds the store lock; try again later


def named(name: str, message: str) -> str:
    """``message`` said of ``name`` (a file, a source): ``"NAME: message"``, unless it already
    begins so. (``"NAME: "`` with its colon: a source called "empty" still names itself before
    "empty input".)"""
    return message if message.startswith(f"{name}: ") else f"{name}: {message}"


class DigestError(Exception):
    """Base class: a problem we can explain to the user in one line."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, path: object | None = None, details: list[str] | None = None) -> None:
        # (an empty name, `digest parse ""`, shows as the shell writes it: '')
        self.path = (printable_name(str(path)) or "''") if path is not None else None
        # Lines that follow the one-line message (the candidates of an ambiguous id), each one
        # clean line too; the CLI prints them indented under ``Error: ...``.
        self.details = [collapse(d) for d in details or ()]
        if self.path:
            message = named(self.path, message)
        # One line, always: data from files must not break the message apart, nor reach the
        # terminal as control characters (a title quoted in an error is data too).
        message = collapse(storable(str(message)))
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


class InputError(DigestError):
    """A dump, feed or JSON file (or URL) that cannot be used."""


class ConfigError(DigestError):
    """config.toml is missing, unparsable or has wrong keys/types."""


class StoreError(DigestError):
    """The store cannot be read or written."""


class StoreUnwritable(StoreError):
    """The store cannot be written: read-only, permission denied, disk full or a file size limit.
    A reader then reads the store as it is, without repairing or indexing it."""


class StoreBusy(StoreError):
    """Another digest process holds the store lock."""

    exit_code = EXIT_BUSY


class NotFound(DigestError):
    """An id prefix matches no item, or several (ambiguous)."""


class DeliveryError(DigestError):
    """The digest could not be delivered (SMTP or sendmail)."""


def value_error_text(exc: ValueError) -> str:
    """What a parser's ValueError says, in one line a user can act on: Python's own refusal to
    read an integer of more than 4,300 digits (json and tomllib pass it on as it is) says to call
    ``sys.set_int_max_str_digits()``; a user needs to hear that the file holds such a number."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "integer string conversion" in text:
        digits = text.rsplit("value has ", 1)[-1].split(" ", 1)[0] if "value has " in text else "too many"
        return f"an integer of {digits} digits (more than can be read)"
    return text[:120]


def json_kind(value) -> str:
    """What a decoded JSON value is, for a message: "an object", "a list", "a string", ..."""
    return {
        dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
        bool: "a boolean", type(None): "null",
    }.get(type(value), type(value).__name__)
