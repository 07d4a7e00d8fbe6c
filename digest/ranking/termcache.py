"""The scorer's expanded terms, kept in the index between commands.

Expanding the interests (:func:`digest.ranking.match.expand_terms`: abbreviations, every form the
store's vocabulary has of each word, hyphen, space and no-space spellings) and working out which
terms can overlap (the matcher's conflicts) was most of what building a scorer cost: ~5 ms of
every ``show`` and ``run`` with 100 interests. What comes out depends only on what goes in: the
terms and their weights, the matching rules, the abbreviation table, and what the vocabulary
answers to the questions the expansion asks it. So the cache keeps the questions and answers
beside the result (:class:`Recording`), and a later command asks the same questions again (a few
indexed lookups) and takes the cached terms only when the key and every answer are the same; when
an ingest brought a new form of an interest's word, the terms are expanded again. Exact by
construction, and never the source of truth: it lives in the index's cache table (dropped with
the index) and a damaged entry is a miss.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Mapping

from digest import __version__
from digest.ranking.match import Phrase, TermSpec, Vocabulary

CACHE_NAME = "expanded-terms"
VERSION = 2  # of what is cached (2: learned words configured terms match whole left out); and __version__


def _canonical(answer: Mapping[str, set[str]]) -> list[tuple[str, list[str]]]:
    return sorted((k, sorted(v)) for k, v in answer.items())


class Recording:
    """A vocabulary that remembers what it was asked and what it answered, in order."""

    def __init__(self, inner: Vocabulary) -> None:
        self.inner = inner
        self.calls: list[tuple[str, list[str], list]] = []

    def _ask(self, method: str, values: Iterable[str]) -> Mapping[str, set[str]]:
        asked = sorted(set(values))
        answer = getattr(self.inner, method)(asked)
        self.calls.append((method, asked, _canonical(answer)))
        return answer

    def forms(self, keys: Iterable[str]) -> Mapping[str, set[str]]:
        return self._ask("forms", keys)

    def compounds(self, keys: Iterable[str]) -> Mapping[str, set[str]]:
        return self._ask("compounds", keys)

    def names(self, acronyms: Iterable[str]) -> Mapping[str, set[str]]:
        return self._ask("names", acronyms)


def key_of(*inputs) -> bytes:
    """The key of an expansion: everything it depends on but the vocabulary (plain values)."""
    return marshal.dumps((VERSION, __version__, inputs))


def load(store, key: bytes, vocabulary: Vocabulary) -> tuple[list[TermSpec], list[str], dict] | None:
    """(specs, origins, conflicts) cached for ``key``, if the vocabulary still answers as it did."""
    raw = store.cache_get(CACHE_NAME)
    if not isinstance(raw, bytes):
        return None
    try:
        got_key, calls, specs, origins, conflicts = marshal.loads(raw)
        if got_key != key:
            return None
        for method, asked, answer in calls:
            if _canonical(getattr(vocabulary, method)(asked)) != answer:
                return None
        return ([TermSpec(text, weight, prefix, [Phrase(list(w), list(j), via) for w, j, via in phrases], patterns)
                 for text, weight, prefix, phrases, patterns in specs], list(origins), dict(conflicts))
    except (ValueError, TypeError, EOFError, AttributeError):  # an entry of another shape: a miss
        return None


def save(store, key: bytes, recording: Recording, specs: list[TermSpec], origins: list[str],
         conflicts: Mapping[int, frozenset[int]]) -> None:
    state = [(s.text, s.weight, s.prefix, [(p.words, p.joints, p.via) for p in s.phrases], s.patterns)
             for s in specs]
    store.cache_put(CACHE_NAME, marshal.dumps((key, recording.calls, state, origins, dict(conflicts))))
