# ruff: noqa: RUF001 -- Cyrillic letters here are Russian words, not look-alikes of Latin ones
"""Text folding shared by the lexicon, the classifier and language identification: one place decides
what "the same text" means, so training and detection can never drift apart."""

from __future__ import annotations

import re
import unicodedata

# Latin letters lose their marks ("respiración" == "respiracion", "không" == "khong") because speech
# to text drops them at random; other scripts keep theirs (NFKD would split Hangul and kana voicing).
_SPECIAL = {"đ": "d", "ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ё": "е", "ı": "i"}


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base != char:
            table[code] = base
    for char, base in _SPECIAL.items():
        table[ord(char)] = base
    for quote in ("'", "\u2019", "\u2018", "`", "\u00b4", "\u02bc"):
        table[ord(quote)] = ""
    return table


_FOLD = _build_fold_table()
_SPACES = re.compile(r"\s+")
# A word is a run of letters or digits; a CJK or kana run is one "word" (no spaces between words).
_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


# French and Italian elisions keep their word apart ("l'esca" is "l esca"); other apostrophes go
# ("can't" is "cant"), as in the phrase trie.
_ELISION = re.compile(r"(?<![^\W\d_])(l|d|s|j|m|t|n|c|qu|dell|all|nell|sull|un)['\u2019](?=\w)")


def fold(text: str) -> str:
    """Lowercase, NFKC, elisions split, Latin marks and other apostrophes dropped, spaces collapsed."""
    text = _ELISION.sub(r"\1 ", unicodedata.normalize("NFKC", text).lower())
    return _SPACES.sub(" ", text.translate(_FOLD)).strip()


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def has_cjk(folded: str) -> bool:
    return _CJK.search(folded) is not None
