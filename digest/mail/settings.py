"""Every rule of the ``[email]`` table of config.toml, in one place.

- :func:`check_email` runs when the config is loaded (``digest.app`` calls it for a
  config that has an ``[email]`` table), so a typo in ``[email]`` is a one-line
  error naming the file and the key, like every other section. Types are checked
  with config.py's one vocabulary (:class:`digest.config.Checker`).
- :func:`settings_from_config` turns the table into :class:`EmailSettings`,
  checking what only matters when mail goes out (``from``/``to`` present, a host
  for SMTP, clear text only to localhost, a plaintext ``password`` only in a file
  nobody else can read).

This module is imported while loading a config with ``[email]``: keep it light
(no smtplib, no ssl).
"""

from __future__ import annotations

import email.utils
import os
import re
import string
from dataclasses import field
from pathlib import Path
from typing import Any

from digest import paths
from digest.config import NUMBER, STR_OR_LIST, Checker, Config
from digest.errors import ConfigError
from digest.records import dataclass
from digest.text import UNSAFE

TRANSPORTS = ("smtp", "sendmail")
SECURITY = ("tls", "starttls", "none")
SUBJECT_FIELDS = ("count", "date", "s")
DEFAULT_SUBJECT = "{count} new paper{s} for {date}"
DEFAULT_SENDMAIL = ["/usr/sbin/sendmail", "-t", "-oi"]
DEFAULT_TIMEOUT = 60.0
PASSWORD_KEYS = ("password", "password_env", "password_command")
_PASSWORD_LINE = re.compile(r"""^(\s*(?:password|"password"|'password')\s*=\s*).*$""", re.MULTILINE)


def hide_password(config_text: str) -> str:
    """The text of a config file with the value of any ``password = ...`` line replaced: what
    ``digest config show`` prints (the password is never printed)."""
    return _PASSWORD_LINE.sub(lambda m: m.group(1) + '"********"  # (hidden)', config_text)

# key -> type (config.py's vocabulary; checked by ``check_email``)
EMAIL_KEYS: dict[str, Any] = {
    "from": str,
    "to": STR_OR_LIST,
    "subject": str,
    "transport": str,
    "host": str,
    "port": int,
    "security": str,
    "username": str,
    "password_env": str,
    "password_command": STR_OR_LIST,
    "password": str,
    "ca_file": str,
    "timeout": NUMBER,
    "allow_insecure": bool,
    "sendmail_command": STR_OR_LIST,
    "send_empty": bool,
    "max_items": int,
    "min_score": NUMBER,
}

def address_problem(value: str) -> str | None:
    """Why ``value`` is not a usable mail address (``a@b`` or ``Name <a@b>``), or None."""
    if UNSAFE.search(value):
        return "must not contain line breaks or control characters"
    found = [a for _, a in email.utils.getaddresses([value]) if a]
    if len(found) > 1:  # parseaddr would keep the first and drop the others without a word
        return f"{value!r} holds {len(found)} addresses: write each as its own string"
    _, addr = email.utils.parseaddr(value)
    if (not addr or "@" not in addr or addr.startswith(("@", "-")) or addr.endswith("@")
            or " " in addr):
        return f"{value!r} is not a mail address (expected a@example.org or \"Name <a@example.org>\")"
    try:
        wire_address(addr)
    except UnicodeError:
        return f"{value!r}: the domain is not a valid host name"
    return None


def wire_address(value: str) -> str:
    """The address in ``value`` as it goes in the envelope and the headers: a non-ASCII domain
    in its ASCII (IDNA, ``xn--``) form, which every server takes; a non-ASCII local part stays
    (it needs a server with SMTPUTF8). Raises UnicodeError for a domain IDNA cannot encode."""
    addr = email.utils.parseaddr(value)[1]
    local, at, domain = addr.rpartition("@")
    if not at or domain.isascii():
        return addr
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def subject_problem(template: str) -> str | None:
    """Why ``template`` is not a usable subject template, or None."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template ({exc}); write {{{{ and }}}} for literal braces"
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if name not in SUBJECT_FIELDS:
            return (f"unknown field {{{name}}} (the subject template knows "
                    + ", ".join(f"{{{f}}}" for f in SUBJECT_FIELDS) + ")")
        if spec or conv:
            return f"field {{{name}}} takes no format spec or conversion"
    return None


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_email(check: Checker, table: Any) -> dict[str, Any]:
    """Validate ``[email]`` at load time.

    Returns the table unchanged (the raw, validated dict; ``Config.email``)."""
    table = check.table("email", table)
    check.keys("email", table, EMAIL_KEYS)
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
    if "host" in table and (not table["host"].strip() or UNSAFE.search(table["host"])):
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


# --------------------------------------------------------------------------- settings
LOCALHOSTS = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}


@dataclass
class EmailSettings:
    config_path: Path
    sender: str
    to: list[str]
    subject: str = DEFAULT_SUBJECT
    transport: str = "smtp"
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str | None = None
    password_command: list[str] = field(default_factory=list)
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    allow_insecure: bool = False
    sendmail_command: list[str] = field(default_factory=lambda: list(DEFAULT_SENDMAIL))
    send_empty: bool = False
    max_items: int = 20
    min_score: float = 0.0

    @property
    def where(self) -> str:
        """The destination, for messages: ``host:port`` or the sendmail command."""
        if self.transport == "sendmail":
            return f"sendmail command {self.sendmail_command[0]}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def envelope_from(self) -> str:
        return wire_address(self.sender)

    @property
    def envelope_to(self) -> list[str]:
        return [wire_address(t) for t in self.to]


def settings_from_config(cfg: Config, *, sending: bool = True) -> EmailSettings:
    """The ``[email]`` settings, complete and safe to use, or a one-line ConfigError.

    With ``sending=False`` (a preview: ``--dry-run``, ``--to-file``) the transport
    settings are not required: building the message needs only from and to."""
    e = cfg.email
    path = cfg.path

    def fail(key: str, what: str) -> ConfigError:
        return ConfigError(f"{key}: {what}", path=path)

    if not e and getattr(cfg, "is_default", False):
        raise ConfigError("email is not set up: you have no config of your own (this is the built-in "
                          "default); run `digest config init`, then add an [email] table "
                          "(see README, \"Email from cron\")", path=path)
    if not e:
        raise ConfigError("no [email] table: add one with at least `from`, `to` and how to send "
                          "(see README, \"Email from cron\")", path=path)
    for key in ("from", "to"):
        if key not in e:
            raise fail(f"email.{key}", "required to send the digest")
    s = EmailSettings(config_path=path, sender=e["from"], to=as_list(e["to"]))
    s.subject = e.get("subject", DEFAULT_SUBJECT)
    s.transport = e.get("transport", "smtp")
    s.timeout = float(e.get("timeout", DEFAULT_TIMEOUT))
    s.send_empty = e.get("send_empty", False)
    s.max_items = e.get("max_items", cfg.limit)
    s.min_score = float(e.get("min_score", cfg.min_score))
    if "sendmail_command" in e:
        s.sendmail_command = command(e["sendmail_command"])
    if "password" in e:  # whatever the transport: a secret in a file others can read is refused
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise fail("email.password", f"cannot check the file's permissions: {exc.strerror}") from None
        if mode & 0o077:
            how = "readable" if mode & 0o044 else "writable"
            raise fail("email.password", f"refused: the file is {how} by group or others (mode "
                                         f"{mode & 0o777:04o}); chmod 600 it, or use password_env or "
                                         "password_command instead")
    if s.transport == "sendmail" or (not sending and "host" not in e):
        return s
    if "host" not in e:
        raise fail("email.host", 'required when transport = "smtp" (or set transport = "sendmail")')
    s.host = e["host"].strip()
    if s.host.startswith("[") and s.host.endswith("]"):  # an IPv6 literal as in a URL: "[::1]"
        s.host = s.host[1:-1]
    port = e.get("port")
    s.security = e.get("security") or ("tls" if port == 465 else "starttls")
    s.port = port or DEFAULT_PORTS[s.security]
    s.allow_insecure = e.get("allow_insecure", False)
    if s.security == "none" and not s.allow_insecure and s.host.lower() not in LOCALHOSTS:
        raise fail("email.security", f'"none" sends the mail (and any password) in clear text: allowed only '
                                     f"to localhost, not {s.host!r}, unless allow_insecure = true")
    if "ca_file" in e:
        ca = Path(os.path.expanduser(paths.from_config(e["ca_file"], path)))
        if not ca.is_file():
            raise fail("email.ca_file", f"{ca}: no such file")
        s.ca_file = str(ca)
    s.username = e.get("username")
    s.password_env = e.get("password_env")
    if "password_command" in e:
        s.password_command = command(e["password_command"])
    if "password" in e:
        s.password = e["password"]
    if s.username and not (s.password is not None or s.password_env or s.password_command):
        raise fail("email.username", "needs a password source: password_env, password_command or password")
    return s


@dataclass
class SendingCheck:
    """What ``digest config check`` says about ``[email]``: whether mail could go out with it."""

    where: str  # "smtp host:port", "sendmail command /usr/sbin/sendmail" (the transport alone when it fails)
    ok: bool
    status: str  # what is wrong (the one-line error, without the file name), or that it is complete


def check_sending(cfg: Config) -> SendingCheck | None:
    """``[email]`` checked with every rule a real send applies (:func:`settings_from_config`), so
    a table that only previews can build (no host, clear text to a remote host, a missing CA file)
    fails here rather than in the cron job; None without an ``[email]`` table. Nothing is sent and
    no password is read."""
    if not cfg.email:
        return None
    transport = cfg.email.get("transport", "smtp")
    try:
        s = settings_from_config(cfg, sending=True)
    except ConfigError as exc:
        return SendingCheck(transport, False, str(exc).removeprefix(f"{exc.path}: "))
    where = s.where if s.transport == "sendmail" else f"smtp {s.where}"
    return SendingCheck(where, True, "settings complete (nothing sent; `digest email --dry-run` previews "
                                     "the message)")
