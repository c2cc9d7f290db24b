"""Best-effort language of one caller line: the script first (Hangul, kana, Han, Cyrillic, Arabic,
Devanagari), then, for Latin script, letters only some languages use and short function words.
Returns a language code (en es fr pt zh vi ru ht ko de ar tl it pl ja hi) or None for no clue."""

from __future__ import annotations

import re
from collections import defaultdict

from app.safety.detect.text import fold, words

# Function words and very common call words, written folded (no marks). A word shared by several
# languages counts for each, divided by how many share it.
_STOPWORDS: dict[str, str] = {
    "en": "the and is my he she it to of in not with his her i you we this that was have has can please "
    "what for are dont cant hes shes its im just on at but there been him they get need my your me "
    "help breathe breathing call someone person appointment tomorrow today know think do you how much does "
    "who about does our last night operator representative zero agent human real talk speak want "
    "yes um uh like so be if or",
    "es": "el la los las de que y es mi por favor con no se un una esta tiene muy pero para hijo esposo "
    "ayuda como hay lo le su yo tengo puede hablar porque del al mas nada respira quiero necesito "
    "cita manana hoy duele dolor mama senor usted estoy tiene ya huele hacen me rompi operadora "
    "casa toda hora abren sangre diente hambre muero gracias bueno",
    "fr": "le la les de des et est mon ma il elle ne pas je un une avec pour qui que dans sur mais plus "
    "tres ca cest au du vous nous jai suis mes fils mari respire rendez demain aujourdhui parler quelquun "
    "peut sil plait aide fait depuis",
    "pt": "o a os as de do da e nao meu minha ele ela com um uma esta tem para por que muito mas ta voce "
    "isso no na pra estou filho marido consulta amanha hoje falar alguem ajuda respirando respira dor "
    "sangue tambem agora",
    "it": "il lo la di e non mio mia lui lei con un una che per ma sta molto sono ho ha gli del della "
    "questo respira figlio marito appuntamento domani oggi parlare qualcuno aiuto dolore sangue anche "
    "adesso ancora piu",
    "de": "der die das und ist nicht mein meine er sie es mit ein eine ich kann bitte auf zu von hat sehr "
    "aber wir mehr kein keine sich atmet sohn mann termin morgen heute sprechen jemand hilfe schmerzen "
    "blut auch jetzt noch wie",
    "pl": "i nie jest moj moja on ona z w na sie to ze ktos bardzo mam ma prosze czy jak ale co mnie mi "
    "juz tak oddycha syn maz wizyte jutro dzisiaj rozmawiac pomocy bol krew teraz jeszcze",
    "ht": "mwen li pa ak nan yo se gen pou ki kap ap m ou nou sa pitit tanpri konnen fe kounye genyen vle "
    "pale moun respire gason mari randevou demen jodi a ede doule san toujou",
    "tl": "ang ng sa si ay hindi ko mo niya siya ako ka po yung na naman lang kasi tatay nanay anak may "
    "wala ba namin kami pa mga huminga makausap tao bukas ngayon tulong masakit dugo talaga",
    "vi": "toi khong cua co la va duoc bi nguoi cho anh chi em me bo con ong ba roi dang qua nay mot "
    "nhung giup rat tho hen mai hom noi chuyen dau mau bay gio",
    "hi": "hai nahi mera meri mere ko ka ki ke se main mujhe aur bahut kya kar raha rahi ho gaya gayi hain "
    "ji kuch saans beta ek yeh woh abhi nahin rahe hua karo chahiye baat dard khoon kal aaj madad",
}


def _build() -> dict[str, dict[str, float]]:
    owners: dict[str, set[str]] = defaultdict(set)
    for lang, text in _STOPWORDS.items():
        for word in text.split():
            owners[word].add(lang)
    return {word: {lang: 1.0 / len(langs) for lang in langs} for word, langs in owners.items()}


_WEIGHTS = _build()
STOPWORDS = frozenset(_WEIGHTS)  # function words of every language: never evidence on their own

# Letters that point at one language (or a few) when speech to text kept the marks.
_LETTERS: dict[str, dict[str, float]] = {}
for _chars, _langs in (
    ("ơưăđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ", ("vi",)),
    ("łąęśźżćń", ("pl",)),
    ("ßäö", ("de",)),
    ("ãõ", ("pt",)),
    ("ñ¿¡", ("es",)),
    ("œëîûù", ("fr",)),
    ("ç", ("fr", "pt")),
    ("òì", ("it", "vi")),
    ("èà", ("fr", "it", "ht", "vi")),
    ("ê", ("fr", "pt", "vi")),
    ("ò", ("it", "ht", "vi")),
):
    for _char in _chars:
        _LETTERS[_char] = {lang: 2.0 / len(_langs) for lang in _langs}


# Each script is counted by one regular expression (a scan in C) instead of a Python loop per character.
_SCRIPTS = (
    ("ko", re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"), 1),
    ("ja", re.compile("[\u3040-\u30ff]"), 3),  # kana is Japanese even among many kanji
    ("zh", re.compile("[\u4e00-\u9fff\u3400-\u4dbf]"), 1),
    ("ru", re.compile("[\u0400-\u04ff]"), 1),
    ("ar", re.compile("[\u0600-\u06ff\u0750-\u077f]"), 1),
    ("hi", re.compile("[\u0900-\u097f]"), 1),
)
# Latin evidence: every letter below U+0250, and anything in Latin Extended Additional (U+1E00-1EFF).
_LATIN = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in range(0x250) if chr(code).isalpha()) + "\u1e00-\u1eff]"
)
_MARKED = re.compile("[" + "".join(re.escape(char) for char in _LETTERS) + "]")


def _script(text: str) -> str | None:
    if text.isascii():
        return None
    counts: dict[str, int] = {}
    for lang, pattern, weight in _SCRIPTS:
        found = len(pattern.findall(text))
        if found:
            counts[lang] = found * weight
    if counts.get("ja") and counts.get("zh"):
        counts["ja"] += counts.pop("zh")
    if not counts:
        return None
    latin = len(_LATIN.findall(text))
    best = max(counts, key=counts.__getitem__)
    # A CJK word inside a Latin line is one word among many; CJK has no spaces, so compare per char.
    if counts[best] * 2 >= latin or (best in ("zh", "ja", "ko") and counts[best] >= 2):
        return best
    return None


def detect_language(text: str) -> str | None:
    """The line's language, best effort; for a code-switched line, the one with the most evidence."""
    script = _script(text)
    if script is not None:
        return script
    scores: dict[str, float] = defaultdict(float)
    raw = text.lower()
    for char in _MARKED.findall(raw):
        for lang, weight in _LETTERS[char].items():
            scores[lang] += weight
    for word in words(fold(text)):
        weights = _WEIGHTS.get(word)
        if weights is not None:
            for lang, weight in weights.items():
                scores[lang] += weight
    if not scores:
        return None
    return max(sorted(scores), key=scores.__getitem__)
