"""Server-side detection of emergencies, urgent problems and requests for a person in one line of
caller speech: pure, no I/O, one compiled detector per org (phrase data lives in phrases.py).

Policy, in the order it is applied:
- Text is normalized (NFKD, accents and apostrophes stripped, fillers dropped, contractions and
  common misspellings mapped) and matched as token sequences, never substrings, so "fired my
  contractor" is not "fire" and "dying to know" is not "dying".
- A phrase is cancelled by a negation cue that directly governs it ("no chest pain", "doesn't have
  any chest pain"), by a history cue ("history of seizures", "had a stroke last year"), and, for
  high priority only, by a resolution after it ("the swelling went down").
- In doubt, escalate: a missed emergency costs far more than an extra transfer, so hedged and
  hypothetical mentions of a symptom ("not sure if it's chest pain", "what if my dog eats
  chocolate") are emergencies. The bare word "emergency" is not; "it's an emergency" is.
- Several categories in one line: emergency > human_request > high_priority > none.

Beside the English and Spanish phrase trie, two multilingual sources vote (app/safety/detect/):
the concept lexicon (16 languages, cancel cues scoped to their clause) and the shipped n-gram
classifier, which reads the line and the cues the rules found in it. `decide()` weighs them: the
classifier raises a line the rules found nothing in when it is confident, and vetoes a rule or
lexicon hit on a long line it is all but sure is routine, unless the rules made a scope decision
there themselves (a cue kept to another clause, doubt, "again right now"); org keywords always
stand. Its thresholds are chosen by batch-out validation (app/safety/detect/train.py).
`Detection.language` is the line's detected language, whichever source fired. Another source (a
semantic second opinion) combines with `strongest()`: it may only raise a verdict, never lower it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.safety import phrases
from app.safety.detect import context, human, lexicon
from app.safety.detect.features import has_negated_word
from app.safety.detect.langid import detect_language
from app.safety.detect.model import Model, Scores
from app.safety.detect.model import load as load_model
from app.safety.detect.text import fold


class Category(StrEnum):
    emergency = "emergency"
    high_priority = "high_priority"
    human_request = "human_request"
    none = "none"


_RANK = {Category.none: 0, Category.high_priority: 1, Category.human_request: 2, Category.emergency: 3}


@dataclass(frozen=True, slots=True)
class Detection:
    """What one line of caller speech triggered. `matched` is the canonical phrase (or the org keyword
    as configured), `reason` is short and safe to log: it never quotes the caller beyond that phrase."""

    category: Category
    matched: str | None
    reason: str
    language: str | None
    source: str = "rules"  # "rules", "lexicon", "model", "org" (keyword), or another source's name

    @property
    def escalates(self) -> bool:
        """Whether the call should go to a person now. High priority is flagged, not transferred."""
        return self.category in (Category.emergency, Category.human_request)


NO_DETECTION = Detection(Category.none, None, "no emergency, urgency or transfer cue", None, "none")
_NO_SCORES = Scores(0.0, 0.0, 0.0, 1.0, None)


def strongest(*detections: Detection) -> Detection:
    """The highest category among several sources' verdicts on one line (the first one on a tie):
    combining never lowers a verdict."""
    best = detections[0]
    for detection in detections[1:]:
        if _RANK[detection.category] > _RANK[best.category]:
            best = detection
    return best


# --- normalization -------------------------------------------------------------------------------

_HARD = "."  # sentence or clause boundary
_SOFT = ","  # comma-like pause: negation and history stay inside one

_PRE = str.maketrans(
    {
        "'": None,
        "\u2019": None,
        "\u2018": None,
        "`": None,
        "\u00b4": None,
        "\u02bc": None,
        "\u2014": ",",
        "\u2013": ",",
        "\u00bf": ".",
        "\u00a1": ".",
        "\u2026": " ",
    }
)
_ELLIPSIS = re.compile(r"\.{2,}")  # a trailing-off pause, not a sentence end
_DECIMAL = re.compile(r"(?<=\d)[.,:](?=\d)")  # "39.5", "10:30" are one number
_AC = re.compile(r"\ba\s*/\s*c\b")
_NINE_ONE_ONE = re.compile(r"\b9\s*-?\s*1\s*-?\s*1\b")
_TOKEN = re.compile(r"[a-z0-9#]+|[.!?;:\n]|[,()]")
_YEAR = re.compile(r"(19|20)\d\d")
_ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "st", "sr", "sra", "dra", "jr"})


def _raw_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.translate(_PRE))
    # Dropping non-ASCII after NFKD strips combining marks: "respiración" == "respiracion".
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = _ELLIPSIS.sub(" ", text)
    text = _DECIMAL.sub("", text)
    text = _AC.sub("ac", text)
    text = _NINE_ONE_ONE.sub("911", text)
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token in ".!?;:\n":
            if token == "." and out and out[-1] in _ABBREVIATIONS:
                continue
            out.append(_HARD)
        elif token in ",()":
            out.append(_SOFT)
        elif token.isdigit():
            out.append("#year" if _YEAR.fullmatch(token) else token if token == "911" else "#")
        elif token in phrases.NUMBER_WORDS:
            out.append("#")
        else:
            alias = phrases.TOKEN_ALIASES.get(token)
            out.extend(alias.split() if alias else (token,))
    return out


def _filler_sets() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    singles = {f for f in phrases.FILLERS if " " not in f}
    pairs = {(a, b) for a, b in (f.split() for f in phrases.FILLERS if " " in f)}
    return frozenset(singles), frozenset(pairs)


_FILLERS, _FILLER_PAIRS = _filler_sets()


@dataclass(frozen=True, slots=True)
class _Tokens:
    words: list[str]
    clause: list[int]  # clause id per word: sentence punctuation and "but"/"pero" split clauses
    segment: list[int]  # segment id per word: commas split segments inside a clause


def _tokenize(text: str) -> _Tokens:
    raw = _raw_tokens(text)
    merged: list[str] = []
    skip_soft = False
    i, n = 0, len(raw)
    while i < n:
        token = raw[i]
        nxt = raw[i + 1] if i + 1 < n else ""
        if token == _SOFT and skip_soft:
            i += 1
            continue
        skip_soft = False
        if token in _FILLERS or (token, nxt) in _FILLER_PAIRS:
            # The commas around a filler are part of the hesitation, not a pause in meaning.
            if merged and merged[-1] == _SOFT:
                merged.pop()
            skip_soft = True
            i += 1 if token in _FILLERS else 2
            continue
        pair = phrases.PAIR_REWRITES.get((token, nxt))
        if pair is not None:
            merged.append(pair)
            i += 2
            continue
        merged.append(_HARD if token in phrases.CLAUSE_BREAKS else token)
        i += 1
    words: list[str] = []
    clause: list[int] = []
    segment: list[int] = []
    c = s = 0
    for token in merged:
        if token == _HARD:
            c += 1
            s += 1
        elif token == _SOFT:
            s += 1
        else:
            words.append(token)
            clause.append(c)
            segment.append(s)
    return _Tokens(words, clause, segment)


def _words(text: str) -> tuple[str, ...]:
    return tuple(_tokenize(text).words)


def _word_set(items: Iterable[str]) -> frozenset[str]:
    return frozenset(w for item in items for w in _words(item))


_NEGATION = _word_set(phrases.NEGATION_CUES)
_NOT_NEGATION_AFTER = _word_set(phrases.NOT_A_NEGATION_AFTER)
_NEGATION_GAP = _word_set(phrases.NEGATION_GAP)
_PAST_VERBS = _word_set(phrases.PAST_VERBS)
_OR = frozenset({"or", "nor", "o", "u"})
_LIST_REACH = 24  # words: a list's negation carries over its "or"s this far back, no further

# --- compiled phrase trie ------------------------------------------------------------------------

_PHRASE, _PART, _IDIOM, _HISTORY_PREFIX, _HISTORY_TIME, _RESOLVED = range(6)


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: int
    category: Category = Category.none
    canonical: str = ""
    language: str | None = None
    combo: int = -1
    side: int = 0
    protected: bool = False  # starts with its own negation ("not breathing"): never cancelled by one


class _Node:
    __slots__ = ("children", "entries")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entries: list[_Entry] = []


def _insert(root: _Node, text: str, entry: _Entry) -> None:
    words = _words(text)
    if not words:
        return
    node = root
    for word in words:
        node = node.children.setdefault(word, _Node())
    if entry.kind in (_PHRASE, _PART):
        entry = dataclasses.replace(entry, protected=words[0] in _NEGATION)
    if entry not in node.entries:
        node.entries.append(entry)


def _compile(emergency_keywords: Sequence[str], high_priority_keywords: Sequence[str]) -> _Node:
    root = _Node()
    tables = (
        (Category.emergency, phrases.EMERGENCY),
        (Category.human_request, phrases.HUMAN_REQUEST),
        (Category.high_priority, phrases.HIGH_PRIORITY),
    )
    for category, by_language in tables:
        for language, table in by_language.items():
            for canonical, variants in table.items():
                entry = _Entry(_PHRASE, category, canonical, language)
                for text in (canonical, *variants):
                    _insert(root, text, entry)
    for index, combo in enumerate(phrases.COMBOS):
        category = Category(combo.category)
        for side, group in enumerate((combo.first, combo.second)):
            for text in group:
                _insert(root, text, _Entry(_PART, category, combo.canonical, combo.language, index, side))
    for keyword in emergency_keywords:
        _insert(root, keyword, _Entry(_PHRASE, Category.emergency, keyword.strip(), "org"))
    for keyword in high_priority_keywords:
        _insert(root, keyword, _Entry(_PHRASE, Category.high_priority, keyword.strip(), "org"))
    for kind, texts in (
        (_IDIOM, phrases.IDIOMS),
        (_HISTORY_PREFIX, phrases.HISTORY_PREFIXES),
        (_HISTORY_TIME, phrases.HISTORY_TIMES),
        (_RESOLVED, phrases.RESOLVED_AFTER),
    ):
        for text in texts:
            _insert(root, text, _Entry(kind))
    return root


_Hit = tuple[_Entry, int, int]  # entry, first token, one past the last token
_Part = tuple[int, int, bool]  # a combo part's first token, one past its last, protected

_REASONS = {
    (Category.emergency, False): "possible emergency",
    (Category.emergency, True): "org emergency keyword",
    (Category.high_priority, False): "high priority",
    (Category.high_priority, True): "org high-priority keyword",
    (Category.human_request, False): "caller asked for a person",
    (Category.human_request, True): "caller asked for a person",
}


class Detector:
    """Built-in phrases plus one org's keywords, compiled into a token trie once, beside the shared
    multilingual lexicon and classifier; detect() runs all three and keeps the strongest verdict."""

    __slots__ = ("_model", "_root", "_thresholds")

    def __init__(
        self,
        emergency_keywords: Sequence[str] = (),
        high_priority_keywords: Sequence[str] = (),
        *,
        model: Model | None = None,
    ) -> None:
        self._root = _compile(emergency_keywords, high_priority_keywords)
        self._model = model or _shipped_model()
        self._thresholds = self._model.thresholds

    def detect(self, text: str) -> Detection:
        return decide(self.explain(text), self._thresholds)

    def explain(self, text: str) -> Evidence:
        """What every source says about one line, before `decide()` weighs it."""
        language = detect_language(text)
        ctx = context.Context.of(fold(text), language)
        found, judged = self._sources(text, ctx, language)
        # decide() reads no score on a short line: most lines are short, so they skip the classifier.
        if ctx.size(blanked=True) < self._thresholds.get("min_words", 0):
            return Evidence(found, judged, ctx, _NO_SCORES, language)
        scores = self._model.scores(ctx.blanked(), signals(ctx))
        return Evidence(found, judged, ctx, scores, language)

    def _sources(self, text: str, ctx: context.Context, language: str | None) -> tuple[list[Detection], bool]:
        """The rules' and the lexicon's verdicts, strongest source first, and whether some phrase was
        found and cancelled (idioms included)."""
        found: list[Detection] = []
        rule, judged = self._detect_rules(text, ctx, language)
        if rule.category is not Category.none:
            found.append(rule)
        if not found or found[0].category is not Category.emergency:
            hit, cancelled = lexicon.detect(ctx)
            judged = judged or cancelled
            if hit is not None:
                category = Category(hit.category)
                reason = f"{_REASONS[(category, False)]}: {hit.concept}"
                found.append(Detection(category, hit.concept, reason, language, "lexicon"))
            person = human.detect(ctx) if hit is None or hit.category == "high_priority" else None
            if person is not None:
                reason = f"{_REASONS[(Category.human_request, False)]}: {person}"
                found.append(Detection(Category.human_request, person, reason, language, "lexicon"))
        return found, judged

    def _detect_rules(self, text: str, ctx: context.Context, language: str | None) -> tuple[Detection, bool]:
        """The trie's verdict, and whether it found a phrase and cancelled it (idioms included)."""
        tokens = _tokenize(text)
        hits = self._match(tokens)
        if not hits:
            return NO_DETECTION, False
        idioms = [(s, e) for entry, s, e in hits if entry.kind == _IDIOM]
        prefixes = [(s, e) for entry, s, e in hits if entry.kind == _HISTORY_PREFIX]
        times = [(s, e) for entry, s, e in hits if entry.kind == _HISTORY_TIME]
        candidates = [h for h in hits if h[0].kind in (_PHRASE, _PART) and not _in_idiom(h, idioms)]
        phrase_hits = [h for h in candidates if h[0].kind == _PHRASE]
        # A phrase inside a longer phrase defers to it: "food poisoning" is not "poisoning".
        candidates = [h for h in candidates if h[0].kind == _PART or not _contained(h, phrase_hits)]
        # "stopped" resolves "the bleeding stopped" but is only the start of "stopped working".
        starts = {s for _, s, _ in candidates}
        resolved = [s for entry, s, _ in hits if entry.kind == _RESOLVED and s not in starts]
        # "It's happening again right now" refers back to the past event: history cancels nothing.
        if ctx.spans["again"]:
            prefixes, times = [], []
        valid = [h for h in candidates if not _cancelled(h, tokens, prefixes, times, resolved, ctx)]
        judged = bool(idioms) or any(h[0].kind == _PHRASE and h not in valid for h in candidates)
        for category, canonical, table, s, e in _candidates(valid, tokens):
            org = table == "org"
            # Context the trie does not judge (fiction, resolution, a condition not met), scoped to
            # where the phrase sits in the line. Org keywords are the org's own call: never cancelled.
            if not org:
                start, end = _char_span(tokens.words, s, e, ctx.text)
                # The trie judged a negation before the phrase itself; one after it ("gas smell nahi hai")
                # is the context's.
                if ctx.in_idiom(start, end) or ctx.cancelled(
                    start, end, mild_cancels=category is Category.high_priority, before_negation=False
                ):
                    judged = True
                    continue
            reason = f"{_REASONS[(category, org)]}: {canonical}"
            return Detection(category, canonical, reason, language, "org" if org else "rules"), judged
        return NO_DETECTION, judged

    def _match(self, tokens: _Tokens) -> list[_Hit]:
        words, segment = tokens.words, tokens.segment
        children = self._root.children
        n = len(words)
        hits: list[_Hit] = []
        for i in range(n):
            node = children.get(words[i])
            if node is None:
                continue
            seg = segment[i]
            j = i + 1
            while True:
                for entry in node.entries:
                    hits.append((entry, i, j))
                # Phrases never span a comma or a clause break; combos do that explicitly.
                if j >= n or segment[j] != seg:
                    break
                nxt = node.children.get(words[j])
                if nxt is None:
                    break
                node = nxt
                j += 1
        return hits


def _in_idiom(hit: _Hit, idioms: list[tuple[int, int]]) -> bool:
    _, s, e = hit
    return any(s < b and a < e and not (s <= a and e >= b) for a, b in idioms)


def _contained(hit: _Hit, others: list[_Hit]) -> bool:
    _, s, e = hit
    return any(s2 <= s and e <= e2 and e2 - s2 > e - s for _, s2, e2 in others)


def _cancelled(
    hit: _Hit,
    tokens: _Tokens,
    prefixes: list[tuple[int, int]],
    times: list[tuple[int, int]],
    resolved: list[int],
    ctx: context.Context,
) -> bool:
    entry, s, e = hit
    # A combo part's negation depends on its partner ("no" + "heat"), so combos check it when pairing.
    if entry.kind == _PHRASE and not entry.protected and _negated(tokens, s):
        return True
    if not ctx.spans["again"] and _historical(tokens, s, e, prefixes, times):
        return True
    seg = tokens.segment[s]
    return entry.category is Category.high_priority and any(
        e <= r <= e + 2 and tokens.segment[r] == seg for r in resolved
    )


def _negated(tokens: _Tokens, start: int, floor: int = 0) -> bool:
    """Whether a negation cue directly governs the phrase starting at `start`, looking back no
    further than `floor` (nor, across a list's "or"s, further than `_LIST_REACH` words)."""
    return _governed(tokens, start, max(floor, start - _LIST_REACH), {})


def _governed(tokens: _Tokens, start: int, floor: int, seen: dict[int, bool]) -> bool:
    words, segment = tokens.words, tokens.segment
    seg = segment[start]
    j, gap = start - 1, 0
    while j >= floor and segment[j] == seg:
        word = words[j]
        if word in _NEGATION:
            return words[j + 1] not in _NOT_NEGATION_AFTER
        if word in _OR:
            # The negation of a list carries over its "or": in "no chest pain or shortness of breath"
            # the "no" governs both; the earlier item must itself be negated, so "not sure if it's chest
            # pain or trouble breathing" stays in doubt.
            return any(
                segment[k] == seg and _item_negated(tokens, k, floor, seen)
                for k in range(j - 1, max(floor, j - 4) - 1, -1)
            )
        if word not in _NEGATION_GAP or gap == phrases.NEGATION_MAX_GAP:
            return False
        gap += 1
        j -= 1
    return False


def _item_negated(tokens: _Tokens, k: int, floor: int, seen: dict[int, bool]) -> bool:
    # Each earlier word is judged once per phrase, so a caller's "x or x or x ..." costs a pass over
    # the line, not a branching search.
    if k not in seen:
        seen[k] = _governed(tokens, k, floor, seen)
    return seen[k]


def _historical(
    tokens: _Tokens, s: int, e: int, prefixes: list[tuple[int, int]], times: list[tuple[int, int]]
) -> bool:
    segment = tokens.segment
    seg = segment[s]
    # "history of seizures", "antecedentes de convulsiones"
    if any(pe <= s <= pe + 2 and segment[ps] == seg for ps, pe in prefixes):
        return True
    same_segment = [ts for ts, _ in times if segment[ts] == seg]
    if not same_segment:
        return False
    # "passed out two years ago", "tuvo un infarto hace dos años"
    if any(e <= ts <= e + 2 for ts in same_segment):
        return True
    # "had a heart attack ... years ago", "two years ago he had a stroke": a past verb governs it.
    words = tokens.words
    return any(words[j] in _PAST_VERBS and segment[j] == seg for j in range(max(0, s - 3), s))


@functools.lru_cache(maxsize=8192)
def _word_start(word: str) -> re.Pattern[str]:
    # Compiled once per word: re's own cache (512 patterns) thrashes on a vocabulary this size.
    return re.compile(r"(?<!\w)" + re.escape(word))


def _char_span(words: list[str], s: int, e: int, folded: str) -> tuple[int, int]:
    """Where trie words s..e sit in the folded line, found by walking the words in order (a word the
    trie rewrote is skipped); the whole line when the phrase cannot be placed."""
    pos = 0
    start = end = -1
    for k in range(e):
        m = _word_start(words[k]).search(folded, pos)
        if m is None:
            continue
        if k >= s and start < 0:
            start = m.start()
        pos = m.end()
        if k >= s:
            end = pos
    return (start, end) if start >= 0 else (0, len(folded))


def _candidates(valid: list[_Hit], tokens: _Tokens) -> list[tuple[Category, str, str | None, int, int]]:
    found: list[tuple[Category, str, str | None, int, int]] = []
    parts: dict[int, tuple[list[_Part], list[_Part]]] = {}
    for entry, s, e in valid:
        if entry.kind == _PHRASE:
            found.append((entry.category, entry.canonical, entry.language, s, e))
        else:
            parts.setdefault(entry.combo, ([], []))[entry.side].append((s, e, entry.protected))
    for index, (firsts, seconds) in parts.items():
        if firsts and seconds:
            combo = phrases.COMBOS[index]
            span = _combo_span(combo, firsts, seconds, tokens)
            if span is not None:
                found.append((Category(combo.category), combo.canonical, combo.language, *span))
    return sorted(found, key=lambda f: (-_RANK[f[0]], f[3], f[3] - f[4]))


def _combo_span(
    combo: phrases.Combo, firsts: list[_Part], seconds: list[_Part], tokens: _Tokens
) -> tuple[int, int] | None:
    for a in firsts:
        for b in seconds:
            if b[0] >= a[1]:
                early, late = a, b
            elif not combo.ordered and a[0] >= b[1]:
                early, late = b, a
            else:
                continue
            if late[0] - early[1] > combo.max_gap:
                continue
            if combo.same_clause and tokens.clause[early[0]] != tokens.clause[late[0]]:
                continue
            if combo.same_segment and tokens.segment[early[0]] != tokens.segment[late[0]]:
                continue
            # The later part is negated only by a cue after the earlier one: in "no heat" the "no"
            # is the combo, in "chest doesn't hurt" the "not" governs "hurt".
            if not early[2] and _negated(tokens, early[0]):
                continue
            if not late[2] and _negated(tokens, late[0], floor=early[1]):
                continue
            return early[0], late[1]
    return None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Every source's view of one line: the rules' and lexicon's hits (strongest source first),
    whether a phrase was found and cancelled, the line's cues, and the classifier's scores."""

    found: list[Detection]
    judged: bool
    ctx: context.Context
    scores: Scores
    language: str | None


def signals(ctx: context.Context) -> list[str]:
    """What the rules saw, as classifier features: which cancel cues the line holds. The classifier
    learns how much each is worth from labelled lines (a rule hit beside a resolution and a past cue is
    usually routine). Not the line's language: how many emergencies each language's authors wrote is
    no prior on a new caller."""
    return ["cue:" + kind for kind, spans in ctx.spans.items() if spans]


# Concepts told as a story the n-grams have too few examples of to judge ("i wrote letters to
# everyone and the pills are lined up"): the classifier never vetoes them.
_NEVER_VETOED = frozenset({"suicide farewell", "child locked in a hot car"})


def decide(evidence: Evidence, thresholds: dict[str, float]) -> Detection:
    """The verdict on one line from all the evidence; `thresholds` are the shipped model's (chosen by
    batch-out validation in train.py)."""
    ctx, scores, language = evidence.ctx, evidence.scores, evidence.language
    # The classifier vetoes a rule or lexicon hit only when it is all but sure the line is routine:
    # a cue the rules scope too narrowly ("...but the gas company came and fixed it"). Org keywords
    # are the org's own call and are never vetoed.
    long_enough = ctx.size(blanked=True) >= thresholds["min_words"]
    # No veto where the rules made a scope decision n-grams cannot see: a cue they found and kept
    # away from this phrase ("had a heart attack two years ago and i have chest pain"), doubt ("i
    # don't know if it's a heart attack" escalates), or "again, right now". Nor on a short line.
    spans = ctx.spans
    may_veto = long_enough and not (
        evidence.judged or spans["not_sure"] or spans["again"] or spans["strong_present"]
    )
    found = [
        d
        for d in evidence.found
        if d.source == "org"
        or d.matched in _NEVER_VETOED
        or not may_veto
        or scores.none < thresholds.get("veto_" + d.category.value, 2.0)
    ]
    vetoed = len(found) < len(evidence.found)
    ruled = any(d.category is not Category.high_priority for d in found)
    # A phrase the rules found and cancelled ("i don't have chest pain in my arm or chest") needs a
    # surer classifier.
    floor = thresholds["judged"] if evidence.judged else 0.0
    if not vetoed and not ruled and long_enough:
        for category, p in (
            (Category.emergency, scores.emergency),
            (Category.human_request, scores.human_request),
            (Category.high_priority, scores.high_priority),
        ):
            bar = max(floor, thresholds[category.value])
            # An urgent line the classifier alone reads in a negated line ("the heater isn't
            # leaking, it just makes a noise") is most often routine: it needs a surer classifier.
            if category is Category.high_priority and p >= bar and has_negated_word(ctx.blanked()):
                bar = max(bar, thresholds.get("negated_high_priority", 0.0))
            if p >= bar:
                reason = f"{_REASONS[(category, False)]} (classifier {p:.2f})"
                found.append(Detection(category, scores.evidence, reason, language, "model"))
                break
    # A bare question asks for nobody, unless a want after it does ("are you a bot? i want a human").
    if ctx.bare_question() and not any(d.matched == human.AFTER_QUESTION for d in found):
        found = [d for d in found if d.category is not Category.human_request]
    if not found:
        return dataclasses.replace(NO_DETECTION, language=language)
    return strongest(*found)


def detector_for(emergency_keywords: Sequence[str], high_priority_keywords: Sequence[str]) -> Detector:
    """The compiled detector for one org's keyword lists, built once per distinct pair of lists."""
    return _cached_detector(tuple(emergency_keywords), tuple(high_priority_keywords))


@functools.lru_cache(maxsize=1024)
def _cached_detector(
    emergency_keywords: tuple[str, ...], high_priority_keywords: tuple[str, ...]
) -> Detector:
    return Detector(emergency_keywords, high_priority_keywords)


def training_view(text: str) -> tuple[str, list[str]]:
    """What the classifier reads of one line (the folded text with idioms blanked) and the rules'
    signals on it: train.py builds its features from exactly this, as detect() does."""
    evidence = _rules_only().explain(text)
    return evidence.ctx.blanked(), signals(evidence.ctx)


@functools.cache
def _rules_only() -> Detector:
    empty = Model({"intercept": [0.0] * 4, "weights": {}, "thresholds": {}})
    return Detector(model=empty)


@functools.cache
def _shipped_model() -> Model:
    return load_model()
