"""The multilingual concept lexicon (lexicon_data.py) in one phrase index, with every hit checked
against the cancel cues in its own scope (context.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.safety.detect import lexicon_data
from app.safety.detect.context import Context
from app.safety.detect.matcher import Line, PhraseIndex

_ORDER = ("emergency", "human_request", "high_priority")
# Concepts whose phrases carry their own negation ("no puppy", "ek boond susu nahi"): a "not" after
# them is part of the sign. Concepts a resolution cannot cancel: a pet that ate a toxin "looks fine".
_OWN_NEGATION = frozenset(
    {
        "male cat cannot pee",
        "labour with no delivery",
        "bleeding that will not stop",
        "not breathing",
        "does not wake",
        "not a machine",
    }
)
_NOT_RESOLVABLE = frozenset({"animal toxin", "poisonous to a pet", "bloat", "male cat cannot pee"})
# Urgent pairs whose definition includes "and he's fine": a child locked inside who is fine, a pet
# that swallowed something and acts normal, someone stuck in a lift who is unhurt, a high fever in a
# child who is alert. "Fine" there is no resolution (a past cue still is).
# The same for toothache with swelling ("but i can swallow and breathe fine") and water away from
# electrics ("nobody's hurt, nothing electric near it").
_FINE_IS_PART = frozenset(
    {
        "locked out with a child",
        "swallowed object",
        "stuck in the elevator",
        "high fever",
        "tooth injury or pain",
        "dental pain and swelling",
        "water leak",
        "burst pipe or flooding",
    }
)


@dataclass(frozen=True, slots=True)
class Hit:
    category: str
    concept: str
    start: int
    end: int


_INDEX: PhraseIndex[tuple[str, str]] = PhraseIndex.build(
    (phrase, (category, concept))
    for category, table in (
        ("emergency", lexicon_data.EMERGENCY),
        ("human_request", lexicon_data.HUMAN_REQUEST),
        ("high_priority", lexicon_data.HIGH_PRIORITY),
    )
    for concept, phrases in table.items()
    for phrase in phrases
)
_COMBO_INDEX: PhraseIndex[tuple[int, int]] = PhraseIndex.build(
    (phrase, (index, side))
    for index, (_, *groups) in enumerate(lexicon_data.HIGH_PRIORITY_COMBOS)
    for side, group in enumerate(groups)
    for phrase in group
)
# A sign said to be fine is no sign: "i can swallow fine", "삼키는 건 괜찮아요", "ابلع عادي".
_FINE = re.compile(
    r"^\W*(\w+\W+){0,2}?(fine|ok|okay|normal\w*|naman|bien|bem|bene|gut|dobrze|нормально|byen|binh thuong"
    r"|theek|عادي)(?!\w)|^.{0,6}(大丈夫|괜찮|没事|正常)"
)
_EMERGENCY_COMBO_INDEX: PhraseIndex[tuple[int, int]] = PhraseIndex.build(
    (phrase, (index, side))
    for index, (_, *groups) in enumerate(lexicon_data.EMERGENCY_COMBOS)
    for side, group in enumerate(groups)
    for phrase in group
)


_HEAT_INDEX: PhraseIndex[str] = PhraseIndex.build((phrase, "heat") for phrase in lexicon_data.HEAT_IN_A_CAR)


def detect(context: Context) -> tuple[Hit | None, bool]:
    """The first uncancelled hit in category order (emergency, human request, high priority), and
    whether some phrase was found and cancelled before it."""
    line = Line.of(context.blanked()) if context.spans["idiom"] else context.line
    matches = _INDEX.find(line)
    combo = _combo(context, line)
    judged = False
    narrated = _narrated(context, line)
    if narrated is not None:
        return narrated, judged
    if combo is not None and combo.concept == "locked out with a child" and _HEAT_INDEX.find(line):
        return Hit("emergency", "child locked in a hot car", combo.start, combo.end), judged
    for category in _ORDER:
        for start, end, (cat, concept) in matches:
            if cat != category:
                continue
            # Negation does not reach back past an earlier phrase: "no respira, socorro".
            # ...unless that phrase was itself negated: "no se comió las uvas" negates both.
            floor = max(
                (e for s, e, _ in matches if e <= start and not context.negated(s, e, *context.clause(s, e))),
                default=0,
            )
            if not context.cancelled(
                start,
                end,
                mild_cancels=category == "high_priority",
                floor=floor,
                after_negation=concept not in _OWN_NEGATION,
                resolvable=concept not in _NOT_RESOLVABLE and concept not in _FINE_IS_PART,
            ):
                return Hit(category, concept, start, end), judged
            judged = True
        if category == "human_request" and combo is not None:
            return combo, judged
    return None, judged


def _narrated(context: Context, line: Line) -> Hit | None:
    """An emergency told as a story: what happened and a sign of how bad ("hit his head" ... "keeps
    throwing up"), each half uncancelled in its own scope, so "no vomiting" or "last year" still hold."""
    found = _EMERGENCY_COMBO_INDEX.find(line)
    if len(found) < 2:
        return None
    halves: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    text = context.text
    for start, end, (index, side) in found:
        if side == 1 and _FINE.search(text[end : context.clause(start, end)[1]]):
            continue
        if not context.cancelled(start, end):
            halves.setdefault(index, ([], []))[side].append((start, end))
    for index, (firsts, seconds) in halves.items():
        # Two halves from one phrase ("fever" is both) say nothing about severity.
        if any(not (a == c and b == d) for a, b in firsts for c, d in seconds):
            start = min(s for s, _ in firsts + seconds)
            end = max(e for _, e in firsts + seconds)
            return Hit("emergency", lexicon_data.EMERGENCY_COMBOS[index][0], start, end)
    return None


def _combo(context: Context, line: Line) -> Hit | None:
    """A high-priority pair: both halves in the line, the first one not cancelled."""
    found = _COMBO_INDEX.find(line)
    if not found:
        return None
    # The second half must hold too: "a scratch on his paw, it's not bleeding anymore" is no wound
    # that bleeds (negated or resolved in its own scope).
    seconds = {
        index
        for start, end, (index, side) in found
        if side == 1
        and not context.cancelled(
            start, end, resolvable=lexicon_data.HIGH_PRIORITY_COMBOS[index][0] not in _FINE_IS_PART
        )
    }
    for start, end, (index, side) in found:
        # Only a leak can be mild ("the faucet leaks a little in the kitchen"); elsewhere a mild word
        # belongs to the other half ("a small rock", "a little baby") and the pair stays urgent.
        name = lexicon_data.HIGH_PRIORITY_COMBOS[index][0]
        mild = name == "water leak"
        resolvable = name not in _FINE_IS_PART
        if (
            side == 0
            and index in seconds
            and not context.cancelled(start, end, mild_cancels=mild, resolvable=resolvable)
        ):
            return Hit("high_priority", name, start, end)
    return None
