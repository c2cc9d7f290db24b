"""Cancel cues, each with its scope, for a phrase found in folded caller text (any of the sixteen
languages; the cue phrases are in context_data.py). A cue cancels only what it governs:
- negation: a negation word in the three words before the phrase (not reaching back past an earlier
  phrase), a Han/Hangul negation just before it, or a negative ending just after it ("胸が痛くない");
- past: a time-in-the-past cue in the phrase's clause ("last year", "il y a deux ans"), unless a
  present cue ("now", "maintenant") is nearer the phrase or a strong one ("again", "right now") is in
  the clause: "it's happening again right now" is not a past event;
- resolved: a resolution anywhere in the line ("he's home and fine", "khỏe rồi"), unless the phrase's
  clause has a strong present cue; a third party's past event ("my friend's cat died from lilies");
  a repair after the phrase in a line told of a day just past ("hier ça sentait le gaz mais grdf a
  réparé"), unless the phrase's clause says now;
- condition: "if" before the phrase in its clause (or a Korean/Japanese conditional ending after it),
  except after "not sure" / "don't know": "je ne sais pas s'il respire" stays an emergency;
- line-wide: fiction, a history form, a question about signs, idle curiosity, hyperbole markers;
- a bare question ("is this a robot?"): a question frame beside a machine or a person, no request;
- mild (high priority only): "a little", "un poco", "chút xíu" in the clause;
- battery: a detector chirping for its battery ("화재경보기가 배터리 없다고"), for the detector's own
  name only: a smell or a symptom beside it still holds.
Idioms ("me muero de hambre", "pronto socorro") are blanked before anything is matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.safety.detect import context_data as cues
from app.safety.detect.matcher import Line, PhraseIndex

_POST_NEGATION = re.compile(
    r"^.{0,3}(くない|じゃない|ではない|ません|ないです|もなく|もない|しなく|しない"
    r"|지 않|지않|없어|없고|없습니다|도 없|不是)"
    r"|^[もは].{0,8}(なく|ない|しな)|^도.{0,8}없"
    r"|^(\s+(koi|bhi|to|bilkul|hai|smell|dard|dikkat|problem|pareshani|takleef|taklif|mushkil))*"
    r"\s+(nahi|nahin|nhi)(?!\w)"
    r"|^\s+(нет|yok|isnt going off|not going off|never went off|didnt go off)(?!\w)"
    # Korean "안" before the verb it negates: "가스 냄새도 안 나고" (no gas smell either).
    r"|^도?\s안\s"
)
# Korean and Japanese put "if" after the verb: 토하면, 吐いたら.
_POST_CONDITION = re.compile(
    r"^.{0,4}(면|たら|なら|れば)"
    r"|^(\s+\S+){0,2}?\s+(kare|kare|aaye|aae|ho|hua|hoga|hogi|lage|dikhe|aa jaye|ho jaye)\s+to(?!\w)"
)
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_CLAUSE_BREAK = re.compile(
    r"[.!?;,\u3002\uff0c\uff01\uff1f\u3001\u060c]|(?<!\w)(?:but|pero|mais|mas|ma|aber|ale|men|kaso|lekin|"
    r"но|لكن|بس|however|though|anyway|although)(?!\w)|但是|可是|但|不过|けど|でも|하지만|그런데|근데"
    # "and" starting a new statement: "... two years ago and I have chest pain now".
    r"|(?<!\w)(?:and|y|et|e|und|i|и|va|at|aur|epi)(?=\s+(?:i|he|she|now|my|we|it|its|ahora|tengo|mi|maintenant"
    r"|il|elle|je|agora|ele|ela|eu|jetzt|er|sie|ich|teraz|сейчас|теперь|bay gio|ngayon|ab|kounye)(?!\w))"
)
_NEGATION_WORDS = frozenset(cues.NEGATIONS)
_NEGATION_GAP = frozenset(cues.NEGATION_GAP)
# Negation words of one language that are other words in another: Vietnamese "nó" (he), "mất" (lost),
# "nôn" (vomit) fold to English "no", Hindi "mat" and French "non".
_NOT_NEGATION_IN = {"vi": frozenset({"no", "mat", "non", "pa"})}
# ...and words that negate in one language only: Hindi "na dhuan hai na smell" (neither ... nor), where
# Tagalog "na" is "already" and Spanish "na" is "nada".
_NEGATION_IN = {"hi": frozenset({"na"})}
_OR = frozenset(("or", "nor", "o", "ou", "oder", "hay", "hoac", "или", "lub", "albo", "oppure", "ya"))
_PAST_REACH = 6  # words: a past cue governs the phrase it sits beside, not the whole run-on line

_KINDS = (
    "past", "resolved", "resolved_weak", "present", "again", "strong_present", "bare_question", "request",
    "condition", "not_sure", "line_cancel", "mild", "idiom", "third_party", "past_event", "condition_pt_it",
    "condition_es_fr", "day_past", "repaired", "just_want", "battery", "alarm", "machine_or_person",
)  # fmt: skip
_IDIOMS: PhraseIndex[str] = PhraseIndex.build((phrase, "idiom") for phrase in cues.IDIOMS)
_INDEX: PhraseIndex[str] = PhraseIndex.build(
    (phrase, kind)
    for kind, phrases in (
        ("past", cues.PAST),
        ("resolved", cues.RESOLVED),
        ("resolved_weak", cues.RESOLVED_WEAK),
        ("again", cues.AGAIN),
        ("present", cues.PRESENT),
        ("strong_present", cues.STRONG_PRESENT),
        ("bare_question", cues.BARE_QUESTION),
        ("request", cues.ANY_REQUEST),
        ("condition", cues.CONDITION),
        ("not_sure", cues.NOT_SURE),
        ("line_cancel", cues.LINE_CANCEL),
        ("mild", cues.MILD),
        ("condition_pt_it", cues.CONDITION_PT_IT),
        ("condition_es_fr", cues.CONDITION_ES_FR),
        ("third_party", cues.THIRD_PARTY),
        ("past_event", cues.PAST_EVENT),
        ("day_past", cues.DAY_PAST),
        ("repaired", cues.REPAIRED),
        ("just_want", cues.JUST_WANT),
        ("machine_or_person", cues.MACHINE_OR_PERSON),
        ("battery", cues.BATTERY),
        ("alarm", cues.ALARM),
    )
    for phrase in phrases
)


@dataclass(frozen=True, slots=True)
class Context:
    """The cues of one folded line, found once; `cancelled` then judges each phrase against them."""

    line: Line
    spans: dict[str, list[tuple[int, int]]]
    breaks: tuple[tuple[int, int], ...]
    language: str | None = None

    @classmethod
    def of(cls, folded: str, language: str | None = None) -> Context:
        """Cues of the line; idioms are found first and blanked, so "lo siento, me muero de hambre"
        or "لو سمحت" (please, literally "if you allow") cue nothing."""
        spans: dict[str, list[tuple[int, int]]] = {kind: [] for kind in _KINDS}
        line = Line.of(folded)
        idioms = [(s, e) for s, e, _ in _IDIOMS.find(line)]
        if idioms:
            spans["idiom"] = idioms
            blanked = folded
            for s, e in idioms:
                blanked = blanked[:s] + " " * (e - s) + blanked[e:]
            cue_line = Line.of(blanked)
        else:
            cue_line = line
        for start, end, kind in _INDEX.find(cue_line):
            if kind in ("condition_pt_it", "condition_es_fr"):
                if language not in (("pt", "it") if kind == "condition_pt_it" else ("es", "fr")):
                    continue
                kind = "condition"
            spans[kind].append((start, end))
        if not spans["machine_or_person"]:
            spans["bare_question"] = []
        # Only the question is a cue: who it is about is no signal of its own.
        spans["machine_or_person"] = []
        breaks = tuple(m.span() for m in _CLAUSE_BREAK.finditer(folded))
        context = cls(line, spans, breaks, language)
        # "Again" refers back to a past event only when said of now: "it's happening again right now",
        # not "can you inspect the line again".
        spans["again"] = [(s, e) for s, e in spans["again"] if context._said_of_now(s, e)]
        return context

    def _said_of_now(self, start: int, end: int) -> bool:
        lo, hi = self.clause(start, end)
        return any(
            e <= start or s >= end
            for kind in ("present", "strong_present")
            for s, e in self._within(kind, lo, hi)
        )

    @property
    def text(self) -> str:
        return self.line.text

    def size(self, *, blanked: bool = False) -> int:
        """Words in the line (with idioms blanked, if asked), counting two Han/kana/Hangul characters
        as one word."""
        line = Line.of(self.blanked()) if blanked and self.spans["idiom"] else self.line
        cjk = len(_CJK_CHAR.findall(line.text))
        return len(line.words) - (1 if cjk else 0) + cjk // 2 if cjk else len(line.words)

    def blanked(self) -> str:
        """The line with idioms replaced by spaces (offsets kept)."""
        text = self.line.text
        for start, end in self.spans["idiom"]:
            text = text[:start] + " " * (end - start) + text[end:]
        return text

    def in_idiom(self, start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in self.spans["idiom"])

    def clause(self, start: int, end: int) -> tuple[int, int]:
        lo, hi = 0, len(self.line.text)
        for b_start, b_end in self.breaks:
            if b_end <= start:
                lo = b_end
            elif b_start >= end:
                hi = b_start
                break
        return lo, hi

    def _within(self, kind: str, lo: int, hi: int) -> list[tuple[int, int]]:
        return [(s, e) for s, e in self.spans[kind] if lo <= s and e <= hi]

    def bare_question(self) -> bool:
        """A question about whether this is a machine, with no request for a person: routine. A
        request word inside the question's own frame ("أنا أكلم إنسان ولا جهاز", am I speaking with a
        person or a device) asks nothing."""
        frames = self.spans["bare_question"]
        return bool(frames) and all(
            any(fs <= s and e <= fe for fs, fe in frames) for s, e in self.spans["request"]
        )

    def negated(
        self, start: int, end: int, lo: int, hi: int, *, before: bool = True, after: bool = True
    ) -> bool:
        """A negation governing the phrase: before it (within `lo`) unless `before` is False, and after
        it in its clause ("gas smell nahi hai", "가스 냄새도 안 나요") unless `after` is False."""
        text = self.line.text
        if not before:
            return after and _POST_NEGATION.search(text[end:hi]) is not None
        before_text = text[lo:start]
        if before_text and _CJK_CHAR.search(text[start:end]):
            tail = before_text[-3:]
            if any(cue in tail for cue in cues.CJK_NEGATIONS):
                return True
        line = self.line
        window = [w for w, s in zip(line.words, line.starts, strict=True) if lo <= s < start][-8:]
        others = _NOT_NEGATION_IN.get(self.language or "", frozenset())
        own = _NEGATION_IN.get(self.language or "", frozenset())

        def negation(word: str) -> bool:
            return (word in _NEGATION_WORDS and word not in others) or word in own

        for back, word in enumerate(reversed(window[-4:]), 1):
            if negation(word):
                return True
            # The negation of a list carries over its "or": "không đau ngực hay khó thở", "wala namang
            # sunog o usok" (no fire or smoke); not in doubt ("no sé si es ... o ...").
            if word in _OR and not self.spans["not_sure"] and any(map(negation, window[-back - 5 : -back])):
                return True
            if word not in _NEGATION_GAP:
                break
        return after and _POST_NEGATION.search(text[end:hi]) is not None

    def _words_between(self, a: int, b: int) -> int:
        lo, hi = min(a, b), max(a, b)
        return sum(1 for s in self.line.starts if lo < s < hi)

    def _past_governs(self, start: int, lo: int, hi: int) -> bool:
        past = [
            abs(s - start)
            for s, e in self._within("past", lo, hi)
            if self._words_between(e if e <= start else s, start) <= _PAST_REACH
        ]
        if not past or self._within("strong_present", lo, hi) or self.spans["again"]:
            return False
        present = [abs(s - start) for s, _ in self._within("present", lo, hi)]
        return not present or min(past) < min(present)

    def _repaired_since(self, start: int, lo: int, hi: int) -> bool:
        """A hazard told as yesterday's and then repaired ("ayer olía a gas pero vinieron y lo
        arreglaron"): the repair comes after the phrase, a day-past cue is in the line, and nothing
        in the phrase's clause says it is back now."""
        if not self.spans["day_past"] or self._within("present", lo, hi):
            return False
        return any(s > start for s, _ in self.spans["repaired"])

    def _battery_chirp(self, start: int, end: int) -> bool:
        """The phrase is a detector (or inside its name) in a line about its battery."""
        # The detector's name may follow the phrase: "smoke detector", "일산화탄소 경보기".
        return bool(self.spans["battery"]) and any(s <= end + 1 and start < e for s, e in self.spans["alarm"])

    def cancelled(
        self,
        start: int,
        end: int,
        *,
        mild_cancels: bool = False,
        negation: bool = True,
        floor: int = 0,
        before_negation: bool = True,
        after_negation: bool = True,
        resolvable: bool = True,
    ) -> bool:
        """Whether a cue in scope cancels the phrase at [start, end); negation is looked for no
        further back than `floor` (the end of the phrase before it), before the phrase only when
        `before_negation` (the phrase trie judges that itself), and after it only when
        `after_negation` ("ek boond susu nahi" carries its own "not"). A phrase that is not
        `resolvable` (a toxin eaten: "he looks fine for now" is no comfort) ignores resolutions."""
        lo, hi = self.clause(start, end)
        if negation and self.negated(
            start, end, max(lo, floor), hi, before=before_negation, after=after_negation
        ):
            return True
        if self.spans["line_cancel"]:
            return True
        strong_now = bool(self._within("strong_present", lo, hi)) or bool(self.spans["again"])
        if not strong_now and self.spans["third_party"] and self.spans["past_event"]:
            return True
        if self._past_governs(start, lo, hi):
            return True
        if resolvable and self.spans["resolved"] and not strong_now:
            return True
        if resolvable and not strong_now and self._repaired_since(start, lo, hi):
            return True
        if mild_cancels and self.spans["resolved_weak"] and not strong_now:
            return True
        if not strong_now and self._battery_chirp(start, end):
            return True
        if _POST_CONDITION.search(self.line.text[end:hi]):
            return True
        for c_start, _ in self._within("condition", lo, start):
            if not any(e <= c_start and c_start - e <= 16 for _, e in self.spans["not_sure"]):
                return True
        return mild_cancels and bool(self._within("mild", lo, hi))
