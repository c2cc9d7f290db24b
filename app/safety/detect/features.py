"""Features of one caller line for the shipped classifier: word unigrams and bigrams plus character
2-4 grams inside word boundaries (1-3 grams in CJK and kana runs, which have no spaces). Binary,
L2-normalized: the same function feeds training and detection."""

from __future__ import annotations

import itertools

from app.safety.detect.text import has_cjk, words


def features(folded: str) -> set[str]:
    tokens = words(folded)
    out = {"~" + token for token in tokens}
    out.update("~" + a + " " + b for a, b in itertools.pairwise(tokens))
    for token in tokens:
        padded = " " + token + " "
        size = len(padded)
        out.update(padded[i : i + 2] for i in range(size - 1))
        out.update(padded[i : i + 3] for i in range(size - 2))
        out.update(padded[i : i + 4] for i in range(size - 3))
    if has_cjk(folded):
        for token in tokens:
            if not has_cjk(token):
                continue
            size = len(token)
            out.update("^" + token[i : i + 1] for i in range(size))
            out.update("^" + token[i : i + 2] for i in range(size - 1))
            out.update("^" + token[i : i + 3] for i in range(size - 2))
    return out
