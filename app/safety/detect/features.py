# ruff: noqa: RUF001 -- Arabic letters here are clitics, not look-alikes of Latin ones
"""Features of one caller line for the shipped classifier: word unigrams (a word a negation governs as
its own negated unigram) and bigrams, character 3-4 grams inside word boundaries (1-3 grams in CJK and
kana runs, which have no spaces), Arabic words with their attached clitics stripped, and the rules' own
signals (which cancel cues are in the line). Binary, L2-normalized: the same function feeds training
and detection."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable

from app.safety.detect.context_data import NEGATIONS
from app.safety.detect.text import has_cjk, words


def features(folded: str, signals: Iterable[str] = ()) -> set[str]:
    tokens = words(folded)
    # A word a negation governs is its own feature instead of the word: "no bleeding", "nie krwawi",
    # "không đau" say the opposite of "bleeding", and "bleeding" beside them would still vote for it
    # (batch-out, five folds: 6 fewer false alarms, 2 more emergencies).
    negated = _negated(tokens)
    out = {("~-" if i in negated else "~") + token for i, token in enumerate(tokens)}
    out.update("~" + a + " " + b for a, b in itertools.pairwise(tokens))
    for token in tokens:
        out |= _char_grams(token)
    if has_cjk(folded):
        for token in tokens:
            if has_cjk(token):
                out |= _cjk_grams(token)
    for token in tokens:
        if "\u0621" <= token[0] <= "\u064a":
            stem = _arabic_stem(token)
            if stem != token:
                out.add("~" + stem)
    # Signals are namespaced with "!" so no word or n-gram can collide with them.
    out.update("!" + signal for signal in signals)
    return out


def has_negated_word(folded: str) -> bool:
    """Whether a negation governs some word of the line, as `features()` marks it ("~-" unigrams)."""
    return bool(_negated(words(folded)))


def _negated(tokens: list[str]) -> set[int]:
    negated: set[int] = set()
    reach = 0
    for i, token in enumerate(tokens):
        if token in _NEGATIONS:
            reach = _NEGATION_REACH
        elif reach:
            negated.add(i)
            reach -= 1
    return negated


# Negation words of every language (context_data.NEGATIONS) but those that are also common other
# words somewhere: "any", "ma", "mai", "pa", "ni", "mat", "na", "bi", "co", "chang".
_NEGATIONS = frozenset(NEGATIONS) - {"any", "ma", "mai", "pa", "ni", "mat", "na", "bi", "co", "chang", "ما"}
_NEGATION_REACH = 3


# Words repeat from line to line (Zipf), so each word's n-grams are built once: this runs on every line.
# No 2-grams: they say which language a line is in more than what it says, and a classifier that
# learns each language's share of emergencies flags routine lines in the languages with few of them
# (batch-out, five folds: 18 fewer false alarms, 5 more urgent lines, 2 fewer emergencies).
@functools.lru_cache(maxsize=65536)
def _char_grams(token: str) -> frozenset[str]:
    padded = " " + token + " "
    size = len(padded)
    grams = {padded[i : i + 3] for i in range(size - 2)}
    grams.update(padded[i : i + 4] for i in range(size - 3))
    return frozenset(grams)


@functools.lru_cache(maxsize=16384)
def _cjk_grams(token: str) -> frozenset[str]:
    size = len(token)
    grams = {"^" + token[i : i + 1] for i in range(size)}
    grams.update("^" + token[i : i + 2] for i in range(size - 1))
    grams.update("^" + token[i : i + 3] for i in range(size - 2))
    return frozenset(grams)


# Arabic writes conjunctions, prepositions and the article onto the word: "والدخان" is "و" + "ال" +
# "دخان" (and the smoke). Longest prefix first; the stem must keep three letters to stay a word.
_AR_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
_AR_SUFFIXES = ("ها", "هم", "ني", "ه", "ي", "ك")


@functools.lru_cache(maxsize=16384)
def _arabic_stem(token: str) -> str:
    for prefix in _AR_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            token = token[len(prefix) :]
            break
    for suffix in _AR_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token
