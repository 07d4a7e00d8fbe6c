"""`digest tune`: what the votes say, as changes to config.toml the reader can read and keep.

``suggest`` turns the reading list's feedback into numbered :class:`Suggestion`\\ s, each with
the voted papers it rests on:

- new interests: the positive learned terms (:mod:`digest.ranking.learned`) that are not
  configured yet, at their learned weight;
- new mute terms: the negative learned terms, likewise;
- weight changes: a configured interest whose papers you keep much more (or much less) often
  than your papers in general (the learned terms' significance test, at p < 0.01), its weight
  scaled by that ratio (between half and one and a half times); a weight ``tune`` wrote
  is judged on the votes cast since (a ``tuned`` event), so applying twice changes nothing;
- terms muted and authors followed in triage, written into ``[interests]`` and ``[authors]``
  (and then unmuted and unfollowed in the reading list, so they do not count twice);
- authors of two or more kept papers and no rejected one, to follow.

``apply`` writes chosen suggestions into the config with tomlkit, which keeps every comment,
blank line and key order: only the changed values and the added keys differ, byte for byte.
Once a learned term is in the config the learned weights leave it out (the config wins).
"""

from __future__ import annotations

import codecs
import difflib
import math
from collections import Counter
from dataclasses import field
from pathlib import Path

from digest.config import Config
from digest.errors import ConfigError, DigestError
from digest.ranking.evaluate import VoteReplay
from digest.ranking.feedback import Feedback, learning_settings
from digest.ranking.learned import MIN_SUPPORT, cached_model
from digest.ranking.match import Matcher
from digest.ranking.rank import scorer_for
from digest.ranking.score import LEARNED, Scorer, name_key
from digest.readinglist import ReadingList, ranking_inputs
from digest.records import dataclass
from digest.store.format import TUNED, UNFOLLOW, UNMUTE
from digest.words import normalize

# A weight change is a suggestion a person reads and approves: it needs p < 0.01 (the learned
# weights, applied without asking, need p < 0.001).
SUGGEST_EVIDENCE = math.log(100)
KINDS = ("interest", "mute", "weight", "muted in triage", "followed in triage", "follow")


@dataclass
class Suggestion:
    number: int
    kind: str  # one of KINDS
    section: str  # "interests" or "authors"
    key: str
    old: float | None
    new: float
    why: str  # "6 of your kept papers, 0 rejected"
    events: list[dict] = field(default_factory=list)  # appended once applied (unmute, unfollow)
    replay: VoteReplay | None = None  # the votes replayed under the config with this change alone

    def effect(self, before: VoteReplay) -> str:
        """The eval figure before and after this change: ``kept 12 -> 14 of 40, rejected 9 -> 9 of 80
        in the day's top 20``."""
        a = self.replay
        if a is None:
            return ""
        return (f"kept {before.kept_in_top} -> {a.kept_in_top} of {a.kept}, rejected {before.rejected_in_top} -> "
                f"{a.rejected_in_top} of {a.rejected} in the day's top {a.top}")

    def line(self) -> str:
        change = f"{self.old:g} -> {self.new:g}" if self.old is not None else f"= {self.new:g}"
        return f"[{self.section}] {_quote(self.key)} {change}"


@dataclass
class Tuning:
    suggestions: list[Suggestion]
    votes: int
    kept: int
    rejected: int
    baseline: VoteReplay | None = None  # the votes replayed under the config as it is


def _quote(key: str) -> str:
    import json

    return json.dumps(key, ensure_ascii=False)


def _key(section: str, key: str) -> str:
    """A config key as ``apply`` finds it in its table: the name as compared (name_key), and for
    an interest whether it is a prefix term, so that ``llm*`` and ``llm`` (two terms matching
    different words) are two keys and a suggestion to add one never rewrites the other."""
    folded = name_key(key)
    return folded + "*" if section == "interests" and key.rstrip().endswith("*") else folded


def _round(w: float) -> float:
    """Weights as a person writes them: one decimal, never 0."""
    r = round(w, 1)
    return r if r else (0.1 if w > 0 else -0.1)


def _kl(q: float, r: float) -> float:
    out = q * math.log(q / r) if q > 0 else 0.0
    return out + ((1 - q) * math.log((1 - q) / (1 - r)) if q < 1 else 0.0)


def _counts(matcher, n_terms: int, records: list[dict], votes: dict[str, int]) -> list[tuple[int, int]]:
    """For each of the matcher's terms: how many kept and how many rejected papers it matches
    (title or abstract), with the config's matching rules and the store's word forms."""
    kept = Counter[int]()
    rejected = Counter[int]()
    for rec in records:
        found = matcher.find(normalize(rec.get("title") or "")) | matcher.find(normalize(rec.get("abstract") or ""))
        side = kept if votes.get(rec["id"], 0) > 0 else rejected
        side.update(found)
    return [(kept[i], rejected[i]) for i in range(n_terms)]


def _why(k: int, r: int) -> str:
    return f"{k} of your kept papers, {r} rejected"


def suggest(cfg: Config, store) -> Tuning:
    """Every change the votes, mutes and follows suggest for ``cfg`` (see the module doc)."""
    rl = ReadingList.load(store)
    learning = learning_settings(cfg)
    tags, feedback = ranking_inputs(store, cfg, rl)
    votes = dict(feedback.votes)
    kept = sum(1 for v in votes.values() if v > 0)
    out: list[Suggestion] = []
    configured = {_key("interests", t) for t in cfg.interests}
    authors = {name_key(a) for a in cfg.authors}
    records = store.get_many(votes) if votes else []
    config_scorer = scorer_for(cfg, store)  # the configured terms, as the ranking matches them
    specs = config_scorer.specs[:config_scorer.n_config]
    counts = {}
    if specs and records:
        counts = dict(zip((sp.text for sp in specs),
                          _counts(config_scorer.matcher, len(specs), records, votes), strict=True))

    model = cached_model(store, votes, max_terms=int(learning["max_terms"]), scale=float(learning["weight"]),
                         tags=learning["tags"]) if votes else None
    learned_terms = []
    if model is not None and model.terms:
        # the learned words the ranking uses: not those the config already has (under the rules)
        with_model = Scorer.from_config(cfg, vocabulary=store.vocabulary(), learned=model)
        used = {sp.text for sp, o in zip(with_model.specs, with_model.origins, strict=True) if o == LEARNED}
        learned_terms = [t for t in model.terms if t.term in used]
    for t in learned_terms:
        kind = "interest" if t.weight > 0 else "mute"
        out.append(Suggestion(0, kind, "interests", t.term, None, _round(t.weight), _why(t.pos, t.neg)))

    positive = [(sp.text, sp.weight) for sp in specs if sp.weight > 0]
    if positive and records and 0 < kept < len(votes):
        base = kept / len(votes)
        tuned = {_key(section, key): at for section, key, at in rl.tuned if section == "interests"}
        cast = {i: rl.voted_at(i, learning["tags"]) for i in votes}
        for term, w in positive:
            since = tuned.get(_key("interests", term), "")
            # only the votes cast since this weight was last tuned: the evidence for the weight it has now
            fresh = {i: v for i, v in votes.items() if cast[i] > since} if since else votes
            if len(fresh) < len(votes):
                index = next(i for i, sp in enumerate(specs) if sp.text == term)
                k, r = _counts(config_scorer.matcher, len(specs), [rec for rec in records if rec["id"] in fresh],
                               fresh)[index]
            else:
                k, r = counts[term]
            n = k + r
            if n < MIN_SUPPORT + 1:
                continue
            share = k / n
            ref = min(max(base, 0.5 / len(votes)), 1 - 0.5 / len(votes))
            if n * _kl(share, ref) < SUGGEST_EVIDENCE:
                continue
            ratio = min(1.5, max(0.5, ((k + 0.5) / (n + 1)) / base))
            new = _round(w * ratio)
            if new != w:
                out.append(Suggestion(0, "weight", "interests", term, w, new, _why(k, r)))

    followed = {name_key(a) for a, _ in rl.followed_authors()}
    follow_weight = float(learning["follow_weight"]) or 2.0
    moved = (("muted in triage", "interests", rl.muted_terms(), configured, float(learning["mute_weight"]) or -3.0,
              UNMUTE, "term", "unmuted"),
             ("followed in triage", "authors", rl.followed_authors(), authors, follow_weight,
              UNFOLLOW, "author", "unfollowed"))
    for kind, section, values, known, weight, undo, field_name, word in moved:
        for value, _ in values:
            if _key(section, value) not in known:
                out.append(Suggestion(0, kind, section, value, None, weight,
                                      f"moved into the config, and {word} in the reading list when applied, "
                                      "so it counts once",
                                      [{"type": undo, field_name: value}]))
    by_author: dict[str, list[int]] = {}
    shown_name: dict[str, str] = {}
    for rec in records:
        for a in rec.get("authors") or []:
            key = name_key(a)
            if key and key not in authors and key not in followed:
                by_author.setdefault(key, []).append(votes[rec["id"]])
                shown_name.setdefault(key, a)
    for key, vs in sorted(by_author.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        k = sum(1 for v in vs if v > 0)
        if k >= 2 and k == len(vs):
            out.append(Suggestion(0, "follow", "authors", shown_name[key], None, follow_weight, _why(k, 0)))
    for i, s in enumerate(out, 1):
        s.number = i
    baseline = replay(cfg, store, tags, feedback, out) if votes and out else None
    return Tuning(out, len(votes), kept, len(votes) - kept, baseline)


def replay(cfg: Config, store, tags, feedback: Feedback, suggestions: list[Suggestion]) -> VoteReplay | None:
    """``digest eval``'s figure for each suggestion, on the reader's own votes: every ingest run
    that brought a voted paper is ranked under the config as it is and under the config with that
    one change in (what ``apply`` writes), and the kept and rejected papers in each run's top are
    counted (``[show] limit``). The learned weights are left out of both (they come from these
    very votes); mutes and follows from triage count, as in the daily ranking, and a suggestion
    that moves one into the config drops it from the reading list's. Sets each suggestion's
    ``replay``; returns the figure before (None when no voted paper has an ingest run).

    Fast and exact: one change touches one term (or author), so only the papers where that term
    occurs (any form, overlapping or not: one automaton pass for all the suggestions) or that
    author signed are scored again, and only their runs ranked again; every other paper keeps
    its score. The changed config's damping reuses the configured terms' shares and counts a new
    term's share over the same recent sample (damping's cache is left as it is)."""
    from digest.ranking.evaluate import pool_scores, run_counts, total, vote_pools

    pools = vote_pools(store, feedback.votes)
    if not pools.runs:
        return None
    top, floor = cfg.limit, cfg.min_score
    plain = Feedback(muted=feedback.muted, followed=feedback.followed)
    base_scorer = scorer_for(cfg, store, tags, plain)
    base = pool_scores(pools, base_scorer)
    base_counts = [run_counts(pools, k, sc, top, floor) for k, sc in enumerate(base)]
    damp = _Damping(store, base_scorer)
    scorers: list[Scorer] = []
    term_specs: list = []  # (spec, suggestion index) of the changed terms, for one scan
    everywhere: set[int] = set()  # suggestions whose every paper is scored again
    # a contribution anchored on the configured terms (a [semantic] table, where the config has
    # one) moves with any change to them, on every paper: then every paper is scored again
    anchored = bool(cfg.semantic)
    for n, s in enumerate(suggestions):
        changed = with_change(cfg, s)
        fb = plain
        key = name_key(s.key)
        if s.kind == "muted in triage":
            fb = Feedback(muted=tuple(t for t in plain.muted if name_key(t) != key), followed=plain.followed)
        elif s.kind == "followed in triage":
            fb = Feedback(muted=plain.muted, followed=tuple(a for a in plain.followed if name_key(a) != key))
        if s.section == "authors":
            # the same terms: damping's cache holds
            scorers.append(scorer_for(changed, store, tags, fb, cache_terms=False))
            continue
        scorer = damp.scorer(changed, tags, fb)
        scorers.append(scorer)
        mine = [(sp, n) for sc in (scorer, base_scorer) for sp in sc.specs if name_key(sp.text) == key]
        if not mine or anchored:  # (a term the scorer did not keep: no way to tell its papers) score them all
            everywhere.add(n)
        term_specs += mine
    # which papers each suggestion touches
    touched: list[list[set[int]]] = [[set() for _ in pool] for pool in pools.runs]
    by_author: dict[str, list[int]] = {}
    for n, s in enumerate(suggestions):
        if s.section == "authors":
            by_author.setdefault(name_key(s.key), []).append(n)
    if term_specs:
        specs = [sp for sp, _ in term_specs]
        matcher = Matcher(specs, overlap=base_scorer.rules.overlap, settle=False)
        # a pattern two specs share is found for the first one only: count it for both
        also: dict[int, set[int]] = {}
        for kept, dropped in matcher.shared:
            also.setdefault(kept, set()).add(dropped)
            also.setdefault(dropped, set()).add(kept)
    for k, pool in enumerate(pools.runs):
        for i, rec in enumerate(pool):
            hit = touched[k][i]
            hit.update(everywhere)
            if term_specs:
                found = matcher.find(normalize(rec.get("title") or ""))
                found |= matcher.find(normalize(rec.get("abstract") or ""))
                for j in list(found):
                    found |= also.get(j, set())
                hit.update(term_specs[j][1] for j in found)
            if by_author:
                for a in rec.get("authors") or []:
                    hit.update(by_author.get(name_key(a), ()))
    for n, s in enumerate(suggestions):
        scorer = scorers[n]
        counts = list(base_counts)
        for k, pool in enumerate(pools.runs):
            marks = touched[k]
            if not any(n in m for m in marks):
                continue
            scores = [scorer.fast_score(r) if n in m else b for r, b, m in zip(pool, base[k], marks, strict=True)]
            counts[k] = run_counts(pools, k, scores, top, floor)
        s.replay = total(pools, counts, top)
    return total(pools, base_counts, top)


def with_change(cfg: Config, s: Suggestion) -> Config:
    """``cfg`` with suggestion ``s`` in, as ``apply`` writes it: a key already there (the same name
    under name_key) gets the new value in its place, a new key goes last in its table."""
    import dataclasses

    table: dict[str, float] = dict(getattr(cfg, s.section) or {})
    existing = next((k for k in table if _key(s.section, k) == _key(s.section, s.key)), None)
    table[existing if existing is not None else s.key] = float(s.new)
    if s.section == "authors":
        return dataclasses.replace(cfg, authors=table)
    return dataclasses.replace(cfg, interests=table)


class _Damping:
    """Scorers for changed configs, damped as the ranking would damp them, without recounting every
    term or replacing damping's cached counts (keyed by the configured terms)."""

    def __init__(self, store, base: Scorer) -> None:
        self.store = store
        n = base.n_config
        self.known = {sp.text: share for sp, share in zip(base.specs[:n], base.shares[:n], strict=True)
                      if share is not None}
        self._sample: list[tuple[bytes, bytes]] | None = None

    def sample(self) -> list[tuple[bytes, bytes]]:
        from digest.ranking import damping

        if self._sample is None:
            self._sample = [(normalize(r.get("title") or ""), normalize(r.get("abstract") or ""))
                            for r in self.store.recent_records(damping.SAMPLE)]
        return self._sample

    def scorer(self, cfg: Config, tags, fb: Feedback) -> Scorer:
        import dataclasses

        from digest.ranking import damping

        on = cfg.matching.get("damping", True)
        scorer = scorer_for(dataclasses.replace(cfg, matching={**cfg.matching, "damping": False}), self.store,
                            tags, fb, cache_terms=False)
        if not on:
            return scorer
        configured = scorer.specs[:scorer.n_config]
        if not any(sp.weight > 0 for sp in configured):
            return scorer
        p0 = float(cfg.matching.get("damping_from", damping.DEFAULT_FROM))
        shares: list[float | None] = []
        for sp in configured:
            share = self.known.get(sp.text)
            if share is None:
                sample = self.sample()
                if len(sample) < damping.MIN_PAPERS:
                    return scorer  # too few papers: the ranking does not damp either
                find = Matcher([sp], overlap=scorer.rules.overlap, settle=False).find
                share = sum(1 for t, a in sample if find(t) or find(a)) / len(sample)
                self.known[sp.text] = share
            shares.append(share)
        factors = [damping.factor(sh, p0) if sp.weight > 0 and sh is not None else 1.0
                   for sp, sh in zip(configured, shares, strict=True)]
        scorer.set_damping(factors, shares)
        return scorer


def pick(tuning: Tuning, numbers: list[int] | None) -> list[Suggestion]:
    """The suggestions with these numbers (all when None); an unknown number is an error."""
    if numbers is None:
        return list(tuning.suggestions)
    known = {s.number: s for s in tuning.suggestions}
    bad = [n for n in numbers if n not in known]
    if bad:
        raise DigestError(f"no suggestion number {bad[0]} (digest tune --suggest lists 1-{len(known)})"
                          if known else "there is nothing to apply")
    return [known[n] for n in dict.fromkeys(numbers)]


def apply_to_text(text: str, path: Path, chosen: list[Suggestion]) -> str:
    """The config text with ``chosen`` written in: values changed in place (comments kept), new
    keys added after the last key of their table (a table that does not exist is added)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import KeyType, SingleKey

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None
    for s in chosen:
        if s.section not in doc:
            doc.add(tomlkit.nl())
            doc.add(s.section, tomlkit.table())
        table = doc[s.section]
        existing = next((k for k in table if _key(s.section, k) == _key(s.section, s.key)), None)
        if existing is not None:
            old = table[existing]  # (not .item(): dotted keys give a proxy that has no such method)
            new = tomlkit.item(float(s.new))
            new.trivia.indent, new.trivia.comment_ws = old.trivia.indent, old.trivia.comment_ws
            new.trivia.comment, new.trivia.trail = old.trivia.comment, old.trivia.trail
            table[existing] = new
            continue
        key = SingleKey(s.key, t=KeyType.Basic)
        last = None
        for k in table:
            last = k
        container = table.value
        if last is not None and hasattr(container, "_insert_after"):
            container._insert_after(last, key, float(s.new))
        else:  # (a table of dotted keys, ``interests.x = 1``, spread out: a proxy without add())
            table[key] = float(s.new)
    return tomlkit.dumps(doc)


def diff(old: str, new: str, path: Path) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=str(path), tofile=str(path)))


def apply(cfg: Config, target: Path, store, chosen: list[Suggestion], *, write: bool = True) -> tuple[str, str]:
    """Write ``chosen`` into ``target`` (the user's config; started from ``cfg``'s text when it does
    not exist yet): returns (old text, new text). The new text must load as a config; the events
    of the applied suggestions (unmute, unfollow) are appended afterwards."""
    from digest.config import parse_config
    from digest.readinglist import record
    from digest.store.files import write_user_file

    raw = target.read_bytes() if target.exists() else cfg.path.read_bytes()
    try:
        old = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=target) from None
    # a config saved on Windows keeps its line endings and byte order mark: only the changed
    # lines differ (the edit and the diff work on LF text)
    crlf = old.count("\r\n") * 2 > old.count("\n")
    old = old.replace("\r\n", "\n")
    new = apply_to_text(old, target, chosen)
    parse_config(new, target)  # never write a config that does not load
    if write and new != old:
        data = (new.replace("\n", "\r\n") if crlf else new).encode("utf-8")
        if raw.startswith(codecs.BOM_UTF8):
            data = codecs.BOM_UTF8 + data
        write_user_file(target, data, parents=True)  # a symlinked config stays a link
        events = [ev for s in chosen for ev in s.events]
        events += [{"type": TUNED, "section": s.section, "key": s.key, "weight": s.new}
                   for s in chosen if s.section == "interests"]
        if events:
            record(store, events)
    return old, new
