"""The ``[email]`` table of config.toml: its keys, types and checks.

``check_email`` runs when the config is loaded (from :func:`digest.config.parse_config`),
so a typo in ``[email]`` is a one-line error naming the file and the key, like
every other section. What can only be checked when mail is about to go out
(``from``/``to`` present, the config file's permissions when it holds a
password) is checked by :func:`digest.mail.settings_from_config`.

This module is imported while loading every config: keep it light (no smtplib,
no ssl).
"""

from __future__ import annotations

import email.utils
import re
import string
from typing import Any

TRANSPORTS = ("smtp", "sendmail")
SECURITY = ("tls", "starttls", "none")
SUBJECT_FIELDS = ("count", "date", "s")
DEFAULT_SUBJECT = "{count} new paper{s} for {date}"
DEFAULT_SENDMAIL = ["/usr/sbin/sendmail", "-t", "-oi"]
DEFAULT_TIMEOUT = 60.0
PASSWORD_KEYS = ("password", "password_env", "password_command")

STR, BOOL, INT, NUMBER, STR_OR_LIST = "str", "bool", "int", "number", "str_or_list"

# key -> kind of value (checked by ``check_email``)
EMAIL_KEYS: dict[str, str] = {
    "from": STR,
    "to": STR_OR_LIST,
    "subject": STR,
    "transport": STR,
    "host": STR,
    "port": INT,
    "security": STR,
    "username": STR,
    "password_env": STR,
    "password_command": STR_OR_LIST,
    "password": STR,
    "ca_file": STR,
    "timeout": NUMBER,
    "allow_insecure": BOOL,
    "sendmail_command": STR_OR_LIST,
    "send_empty": BOOL,
    "max_items": INT,
    "min_score": NUMBER,
}
KIND_NAMES = {STR: "a string", BOOL: "true or false", INT: "an integer", NUMBER: "a number",
              STR_OR_LIST: "a string or a list of strings"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _ok(value: Any, kind: str) -> bool:
    if kind == STR:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == STR_OR_LIST:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return False  # pragma: no cover


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a usable mail address (``a@b`` or ``Name <a@b>``), or None."""
    if _CONTROL.search(value):
        return "must not contain line breaks or control characters"
    _, addr = email.utils.parseaddr(value)
    if (not addr or "@" not in addr or addr.startswith(("@", "-")) or addr.endswith("@")
            or " " in addr):
        return f"{value!r} is not a mail address (expected a@example.org or \"Name <a@example.org>\")"
    return None


def subject_problem(template: str) -> str | None:
    """Why ``template`` is not a usable subject template, or None."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template ({exc}); write {{{{ and }}}} for literal braces"
    for _, field, spec, conv in parsed:
        if field is None:
            continue
        if field not in SUBJECT_FIELDS:
            return (f"unknown field {{{field}}} (the subject template knows "
                    + ", ".join(f"{{{f}}}" for f in SUBJECT_FIELDS) + ")")
        if spec or conv:
            return f"field {{{field}}} takes no format spec or conversion"
    return None


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_email(check, table: Any) -> dict[str, Any]:
    """Validate ``[email]`` at load time; ``check`` is config.py's checker.

    Returns the table unchanged (the raw, validated dict; ``Config.email``)."""
    from digest.config import _got

    table = check.table("email", table)
    for key, value in table.items():
        where = f"email.{key}"
        if key not in EMAIL_KEYS:
            raise check.fail(where, f"unknown key (expected one of: {', '.join(sorted(EMAIL_KEYS))})")
        kind = EMAIL_KEYS[key]
        if not _ok(value, kind):
            raise check.fail(where, f"must be {KIND_NAMES[kind]}, got {_got(value)}")
    if "from" in table:
        problem = address_problem(table["from"])
        if problem:
            raise check.fail("email.from", problem)
    if "to" in table:
        to = as_list(table["to"])
        if not to:
            raise check.fail("email.to", "must name at least one address")
        for addr in to:
            problem = address_problem(addr)
            if problem:
                raise check.fail("email.to", problem)
    if "subject" in table:
        problem = subject_problem(table["subject"])
        if problem:
            raise check.fail("email.subject", problem)
    if table.get("transport", "smtp") not in TRANSPORTS:
        raise check.fail("email.transport", f"must be one of {', '.join(TRANSPORTS)}, got {table['transport']!r}")
    if table.get("security", "starttls") not in SECURITY:
        raise check.fail("email.security", f"must be one of {', '.join(SECURITY)}, got {table['security']!r}")
    if "port" in table and not 0 < table["port"] < 65536:
        raise check.fail("email.port", f"must be a TCP port (1-65535), got {table['port']}")
    if "host" in table and (not table["host"].strip() or _CONTROL.search(table["host"])):
        raise check.fail("email.host", "must be a host name or address")
    if "timeout" in table and table["timeout"] <= 0:
        raise check.fail("email.timeout", "must be a positive number of seconds")
    if "max_items" in table and table["max_items"] < 1:
        raise check.fail("email.max_items", "must be at least 1")
    for key in ("password_command", "sendmail_command"):
        if key in table and not command(table[key]):
            raise check.fail(f"email.{key}", "must name a command")
    if "password_env" in table and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table["password_env"]):
        raise check.fail("email.password_env", "must be the name of an environment variable")
    given = [k for k in PASSWORD_KEYS if k in table]
    if len(given) > 1:
        raise check.fail(f"email.{given[1]}", f"give only one of {', '.join(PASSWORD_KEYS)} "
                                              f"(also set: {given[0]})")
    if given and "username" not in table:
        raise check.fail(f"email.{given[0]}", "needs email.username (the login name)")
    return table


def command(value: Any) -> list[str]:
    """A command as an argument list (a string is split like a shell would, without a shell);
    empty when it names no command."""
    import shlex

    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return []
    return list(value) if value and value[0].strip() else []
