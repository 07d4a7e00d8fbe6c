"""Every filesystem location digest uses, in one place.

- The store directory: ``--store DIR``, else ``$DIGEST_HOME``, else
  ``$XDG_DATA_HOME/digest`` (``~/.local/share/digest``).
- The config file: ``--config PATH``, else ``$DIGEST_CONFIG``, else
  ``$DIGEST_HOME/config.toml`` when DIGEST_HOME is set (one variable moves
  everything, as llm's LLM_USER_PATH does), else
  ``$XDG_CONFIG_HOME/digest/config.toml`` (``~/.config/digest/config.toml``);
  when that file does not exist the built-in default config is used.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "digest"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def store_dir(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    home = os.environ.get("DIGEST_HOME")
    if home:
        return Path(home).expanduser()
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def store_origin(override: str | os.PathLike | None = None) -> str | None:
    """Where the store directory came from, for messages: ``--store``, ``DIGEST_HOME`` or None
    (the XDG default)."""
    if override:
        return "--store"
    return "DIGEST_HOME" if os.environ.get("DIGEST_HOME") else None


def user_config_path() -> Path:
    """Where the user's config lives (it may not exist)."""
    home = os.environ.get("DIGEST_HOME")
    if home:
        return Path(home).expanduser() / "config.toml"
    return _xdg("XDG_CONFIG_HOME", ".config") / APP / "config.toml"


def config_path(override: str | os.PathLike | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("DIGEST_CONFIG")
    if env:
        return Path(env).expanduser()
    return user_config_path()


def from_config(value: str, config_path: Path) -> str:
    """A path written in the config file (a source's ``path``, ``ca_file``, the semantic model):
    ``~`` is the home folder and a relative path is relative to the config file's folder, never to
    the working directory, which is another one under cron ($HOME) than in the shell it was tried
    in. An empty value stays empty (it names nothing)."""
    if not value.strip() or value.startswith("~") or os.path.isabs(value):
        return value
    return os.path.join(Path(config_path).absolute().parent, value)


def default_config_path() -> Path:
    """The built-in default config shipped inside the package."""
    return Path(__file__).resolve().parent / "data" / "config.toml"


def sample_dump_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "sample_dump.txt"
