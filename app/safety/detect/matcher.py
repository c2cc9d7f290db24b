"""Fast phrase matching over folded text for the lexicon and the cancel cues: phrases are indexed by
their first word (or first word prefix, or, in Han/kana/Hangul, first character), so one line costs a
few dictionary look-ups per word instead of trying every phrase at every position (a regular
expression alternation of ~2,000 phrases took milliseconds per line).

Phrase syntax: words separated by spaces match whole words; `word*` matches any word starting so;
`*` alone or `~` allows up to three words in between; a phrase in Han, kana or Hangul matches as a
substring, with its spaces optional and `~` allowing up to eight characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Generic, TypeVar

from app.safety.detect.text import fold

T = TypeVar("T")

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_GAP_WORDS = 3
_MIN_PREFIX = 2


@dataclass(frozen=True, slots=True)
class Line:
    """One folded line, split once: its words with their character spans."""

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    has_cjk: bool

    @classmethod
    def of(cls, folded: str) -> Line:
        found = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
        return cls(
            folded,
            tuple(w for w, _, _ in found),
            tuple(s for _, s, _ in found),
            tuple(e for _, _, e in found),
            _CJK.search(folded) is not None,
        )


# A compiled word phrase: each step is (kind, text) with kind "w" (whole word), "p" (prefix), "g" (gap).
_Step = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _WordPhrase(Generic[T]):
    rest: tuple[_Step, ...]  # the steps after the first word, which the index itself matched
    payload: T
    # The place of the phrase in its index: a tie on span keeps the order the phrases were added in.
    seq: int
    # The rest as plain words when it has no prefix or gap (most multi-word phrases): a slice compare.
    plain: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class _CharPhrase(Generic[T]):
    pattern: re.Pattern[str]
    payload: T


@dataclass(slots=True)
class _Bucket(Generic[T]):
    """The phrases that start with one word: one-word phrases (the look-up was the whole match), those
    whose second word is a plain word (keyed by it, so only phrases the next word allows are tried),
    and the rest (a prefix or a gap second)."""

    singles: list[_WordPhrase[T]] = field(default_factory=list)
    by_next: dict[str, list[_WordPhrase[T]]] = field(default_factory=dict)
    others: list[_WordPhrase[T]] = field(default_factory=list)


# Sort keys rank matches of the same span as the scan found them: exact first words, then prefixes,
# then Han/kana/Hangul substrings, each in the order its phrases were added.
_EXACT, _PREFIX, _CHARS = 0, 1, 2
_ORDER = itemgetter(0, 1, 2, 3)  # (start, -end, rank, seq)


@dataclass(slots=True)
class PhraseIndex(Generic[T]):
    """A set of phrases, each with a payload; `find` lists every match as (start, end, payload)."""

    _exact: dict[str, _Bucket[T]] = field(default_factory=dict)
    # First-word prefixes grouped by their first two letters: one look-up per word, then startswith.
    _prefix: dict[str, list[tuple[str, _WordPhrase[T]]]] = field(default_factory=dict)
    _chars: dict[str, list[_CharPhrase[T]]] = field(default_factory=dict)
    _added: int = 0

    @classmethod
    def build(cls, phrases: Iterable[tuple[str, T]]) -> PhraseIndex[T]:
        index: PhraseIndex[T] = cls()
        for phrase, payload in phrases:
            index.add(phrase, payload)
        return index

    def add(self, phrase: str, payload: T) -> None:
        # Folded like caller text, so a phrase written with its accents ("klowòks", "zéro") still matches.
        phrase = fold(phrase)
        if not phrase:
            return
        if _CJK.search(phrase):
            parts = [r".{0,8}?" if p in ("~", "*") else re.escape(p) for p in phrase.split()]
            compiled = re.compile(r"\s?".join(parts))
            self._chars.setdefault(phrase[0], []).append(_CharPhrase(compiled, payload))
            return
        steps: list[_Step] = []
        for word in phrase.split():
            if word in ("~", "*"):
                steps.append(("g", ""))
            elif word.endswith("*") and len(word) > 1:
                steps.append(("p", word[:-1]))
            else:
                steps.append(("w", word))
        if not steps or steps[0][0] == "g":
            raise ValueError(f"a phrase cannot start with a gap: {phrase!r}")
        rest = tuple(steps[1:])
        plain = tuple(text for _, text in rest) if all(kind == "w" for kind, _ in rest) else None
        self._added += 1
        entry = _WordPhrase(rest, payload, self._added, plain)
        kind, first = steps[0]
        if kind == "w":
            bucket = self._exact.setdefault(first, _Bucket())
            if not rest:
                bucket.singles.append(entry)
            elif rest[0][0] == "w":
                bucket.by_next.setdefault(rest[0][1], []).append(entry)
            else:
                bucket.others.append(entry)
        else:
            if len(first) < _MIN_PREFIX:
                raise ValueError(f"prefix too short: {phrase!r}")
            self._prefix.setdefault(first[:_MIN_PREFIX], []).append((first, entry))

    def find(self, line: Line, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, T]]:
        """Every match inside line.text[lo:hi], in order of start (longest first)."""
        hi = len(line.text) if hi is None else hi
        # (start, -end, rank, seq, end, payload): the first four order the matches and never tie.
        found: list[tuple[int, int, int, int, int, T]] = []
        words, starts, ends = line.words, line.starts, line.ends
        n = len(words)
        exact, prefix = self._exact, self._prefix
        for i, word in enumerate(words):
            start = starts[i]
            if start < lo or ends[i] > hi:
                continue
            bucket = exact.get(word)
            if bucket is not None:
                for entry in bucket.singles:
                    found.append((start, -ends[i], _EXACT, entry.seq, ends[i], entry.payload))
                if bucket.by_next and i + 1 < n:
                    following = bucket.by_next.get(words[i + 1])
                    if following:
                        for entry in following:
                            end = _match(entry, words, ends, i + 1, hi)
                            if end >= 0:
                                found.append((start, -end, _EXACT, entry.seq, end, entry.payload))
                for entry in bucket.others:
                    end = _match(entry, words, ends, i + 1, hi)
                    if end >= 0:
                        found.append((start, -end, _EXACT, entry.seq, end, entry.payload))
            grouped = prefix.get(word[:_MIN_PREFIX])
            if grouped:
                for first, entry in grouped:
                    if word.startswith(first):
                        end = _match(entry, words, ends, i + 1, hi) if entry.rest else ends[i]
                        if end >= 0:
                            found.append((start, -end, _PREFIX, entry.seq, end, entry.payload))
        if line.has_cjk and self._chars:
            text = line.text
            chars = self._chars
            for pos in range(lo, hi):
                options = chars.get(text[pos])
                if options:
                    for seq, option in enumerate(options):
                        m = option.pattern.match(text, pos, hi)
                        if m is not None:
                            found.append((pos, -m.end(), _CHARS, seq, m.end(), option.payload))
        if not found:
            return []
        found.sort(key=_ORDER)
        return [(f[0], f[4], f[5]) for f in found]

    def search(self, line: Line, lo: int = 0, hi: int | None = None) -> tuple[int, int, T] | None:
        found = self.find(line, lo, hi)
        return found[0] if found else None


def _match(entry: _WordPhrase[Any], words: tuple[str, ...], ends: tuple[int, ...], i: int, hi: int) -> int:
    """The character end of the phrase's rest matched from word i, or -1."""
    plain = entry.plain
    if plain is not None:
        j = i + len(plain)
        if j <= len(words) and ends[j - 1] <= hi and words[i:j] == plain:
            return ends[j - 1]
        return -1
    return _match_steps(entry.rest, words, ends, i, hi)


def _word_matches(kind: str, text: str, word: str) -> bool:
    return word == text if kind == "w" else word.startswith(text)


def _match_steps(
    steps: tuple[_Step, ...], words: tuple[str, ...], ends: tuple[int, ...], i: int, hi: int
) -> int:
    """The character end of `steps` matched from word i, or -1 (a gap tries the shortest skip first)."""
    n = len(words)
    # (step index, word index) pairs still to try; small, as phrases are short.
    stack = [(0, i)]
    while stack:
        s, j = stack.pop()
        if s == len(steps):
            return ends[j - 1]
        kind, text = steps[s]
        if kind == "g":
            for skip in range(_GAP_WORDS, -1, -1):
                if j + skip <= n:
                    stack.append((s + 1, j + skip))
            continue
        if j < n and ends[j] <= hi and _word_matches(kind, text, words[j]):
            stack.append((s + 1, j + 1))
    return -1
