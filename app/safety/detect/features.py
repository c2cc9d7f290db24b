"""Features of one caller line for the shipped classifier: word unigrams and bigrams plus character
2-4 grams inside word boundaries (1-3 grams in CJK and kana runs, which have no spaces). Binary,
L2-normalized: the same function feeds training and detection."""

from __future__ import annotations

import functools
import itertools

from app.safety.detect.text import has_cjk, words


def features(folded: str) -> set[str]:
    tokens = words(folded)
    out = {"~" + token for token in tokens}
    out.update("~" + a + " " + b for a, b in itertools.pairwise(tokens))
    for token in tokens:
        out |= _char_grams(token)
    if has_cjk(folded):
        for token in tokens:
            if has_cjk(token):
                out |= _cjk_grams(token)
    return out


# Words repeat from line to line (Zipf), so each word's n-grams are built once: this runs on every line.
@functools.lru_cache(maxsize=65536)
def _char_grams(token: str) -> frozenset[str]:
    padded = " " + token + " "
    size = len(padded)
    grams = {padded[i : i + 2] for i in range(size - 1)}
    grams.update(padded[i : i + 3] for i in range(size - 2))
    grams.update(padded[i : i + 4] for i in range(size - 3))
    return frozenset(grams)


@functools.lru_cache(maxsize=16384)
def _cjk_grams(token: str) -> frozenset[str]:
    size = len(token)
    grams = {"^" + token[i : i + 1] for i in range(size)}
    grams.update("^" + token[i : i + 2] for i in range(size - 1))
    grams.update("^" + token[i : i + 3] for i in range(size - 2))
    return frozenset(grams)
