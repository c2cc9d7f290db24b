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
from typing import Generic, TypeVar

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


@dataclass(frozen=True, slots=True)
class _CharPhrase(Generic[T]):
    pattern: re.Pattern[str]
    payload: T


@dataclass(slots=True)
class PhraseIndex(Generic[T]):
    """A set of phrases, each with a payload; `find` lists every match as (start, end, payload)."""

    _exact: dict[str, list[_WordPhrase[T]]] = field(default_factory=dict)
    # First-word prefixes grouped by their first two letters: one look-up per word, then startswith.
    _prefix: dict[str, list[tuple[str, _WordPhrase[T]]]] = field(default_factory=dict)
    _chars: dict[str, list[_CharPhrase[T]]] = field(default_factory=dict)

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
        entry = _WordPhrase(tuple(steps[1:]), payload)
        kind, first = steps[0]
        if kind == "w":
            self._exact.setdefault(first, []).append(entry)
        else:
            if len(first) < _MIN_PREFIX:
                raise ValueError(f"prefix too short: {phrase!r}")
            self._prefix.setdefault(first[:_MIN_PREFIX], []).append((first, entry))

    def find(self, line: Line, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, T]]:
        """Every match inside line.text[lo:hi], in order of start."""
        hi = len(line.text) if hi is None else hi
        found: list[tuple[int, int, T]] = []
        words, starts, ends = line.words, line.starts, line.ends
        exact, prefix = self._exact, self._prefix
        for i, word in enumerate(words):
            if starts[i] < lo or ends[i] > hi:
                continue
            candidates = exact.get(word, [])
            grouped = prefix.get(word[:_MIN_PREFIX])
            if grouped:
                candidates = [*candidates, *(e for p, e in grouped if word.startswith(p))]
            for entry in candidates:
                # Most phrases are one word: the index look-up was the whole match.
                end = _match_steps(entry.rest, words, ends, i + 1, hi) if entry.rest else ends[i]
                if end >= 0:
                    found.append((starts[i], end, entry.payload))
        if line.has_cjk and self._chars:
            text = line.text
            chars = self._chars
            for pos in range(lo, hi):
                options = chars.get(text[pos])
                if options:
                    for option in options:
                        m = option.pattern.match(text, pos, hi)
                        if m is not None:
                            found.append((pos, m.end(), option.payload))
        found.sort(key=lambda f: (f[0], -f[1]))
        return found

    def search(self, line: Line, lo: int = 0, hi: int | None = None) -> tuple[int, int, T] | None:
        found = self.find(line, lo, hi)
        return found[0] if found else None


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
