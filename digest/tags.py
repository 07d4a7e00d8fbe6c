"""What a tag is: the syntax of reading-list tag names, defined once.

Used by the reading list, the command line and every config key that names tags.
"""

from __future__ import annotations

import unicodedata

from digest.errors import DigestError
from digest.text import lazy_compile

# Tag names are case-insensitive and stored lower-case: 1 to 40 characters, letters,
# digits and ``- _ . / :``, starting with a letter or a digit (``toread``,
# ``project:llm-eval``, ``2025/q4``). A leading ``#`` (as the digest shows tags) is dropped.
TAG_MAX = 40
TAG_RE = lazy_compile(r"^[^\W_][\w\-./:]*$")


class InvalidTag(DigestError):
    """A tag name that is empty, too long or has characters tags may not have."""


def normalize_tag(tag: str) -> str:
    """The stored form of a tag name (lower-case), or :class:`InvalidTag`."""
    if not isinstance(tag, str):
        raise InvalidTag(f"tag must be a string, got {tag!r}")
    t = unicodedata.normalize("NFC", tag.strip())
    if t.startswith("#"):
        t = t[1:]
    t = t.casefold()
    if not t:
        raise InvalidTag(f"empty tag name {tag!r}")
    if len(t) > TAG_MAX:
        raise InvalidTag(f"tag {tag[:TAG_MAX]!r}... is longer than {TAG_MAX} characters")
    if not TAG_RE.match(t):
        raise InvalidTag(
            f"invalid tag {tag!r}: use letters, digits and - _ . / : (no spaces), "
            "starting with a letter or digit"
        )
    return t
