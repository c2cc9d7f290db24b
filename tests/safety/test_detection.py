"""Emergency detection: the tuning split and one test per rule.

The tuning split is detection_eval.jsonl and detection_train.jsonl, written beside the detector, and
the eight blind batches promoted to tuning data once they were scored (tuning_batch1/ to 8/).
All are scored with one detector built with the fixed org keywords below; lines that rely on them
say so in their "note". bench/bench_detection.py and the shipped model use the same files. The current
blind batch (heldout9/) is never read here: it was scored once, by the lead, with the bench.
"""

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.safety.detection import Category, Detection, Detector, detector_for

EVAL_PATH = Path(__file__).with_name("detection_eval.jsonl")
TRAIN_PATH = Path(__file__).with_name("detection_train.jsonl")
# Named file by file, never globbed: the blind batches live beside them.
PROMOTED_PATHS = tuple(
    Path(__file__).parent / folder / name
    for folder, names in (
        ("tuning_batch1", ("batch1_a.jsonl", "batch1_b.jsonl")),
        ("tuning_batch2", ("batch2_c.jsonl", "batch2_d.jsonl")),
        ("tuning_batch3", ("batch3_e.jsonl", "batch3_f.jsonl", "batch3_g.jsonl")),
        ("tuning_batch4", ("batch4_h.jsonl", "batch4_i.jsonl", "batch4_j.jsonl")),
        ("tuning_batch5", ("batch5_k.jsonl", "batch5_l.jsonl", "batch5_m.jsonl")),
        ("tuning_batch6", ("batch6_n.jsonl", "batch6_o.jsonl", "batch6_p.jsonl")),
        ("tuning_batch7", ("batch7_q.jsonl", "batch7_r.jsonl", "batch7_s.jsonl")),
        ("tuning_batch8", ("batch8_t.jsonl", "batch8_u.jsonl", "batch8_v.jsonl")),
    )
    for name in names
)
ORG_EMERGENCY_KEYWORDS = ("jaw swelling", "dry socket bleeding", "stuck in the elevator")
ORG_HIGH_PRIORITY_KEYWORDS = ("lost crown", "crown fell off", "garage door won't close")


def load_eval() -> list[dict[str, Any]]:
    with EVAL_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _normalized(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "expected": "none" if r["expected"] == "routine" else r["expected"]} for r in rows]


def load_tuning() -> list[dict[str, Any]]:
    """The two files written beside the detector, with labels in one vocabulary ("routine" is "none")."""
    rows = load_eval()
    with TRAIN_PATH.open(encoding="utf-8") as f:
        rows += [json.loads(line) for line in f if line.strip()]
    return _normalized(rows)


def load_promoted() -> list[dict[str, Any]]:
    """The eight blind batches promoted to tuning data, labels normalized as in load_tuning()."""
    rows: list[dict[str, Any]] = []
    for path in PROMOTED_PATHS:
        with path.open(encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return _normalized(rows)


def eval_detector() -> Detector:
    return detector_for(ORG_EMERGENCY_KEYWORDS, ORG_HIGH_PRIORITY_KEYWORDS)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return eval_detector()


@pytest.fixture(scope="module")
def plain() -> Detector:
    return Detector()


@pytest.fixture(scope="module")
def scored() -> list[tuple[dict[str, Any], Detection]]:
    d = eval_detector()
    return [(row, d.detect(row["text"])) for row in load_tuning()]


def _describe(failures: list[tuple[dict[str, Any], Detection]]) -> str:
    return "\n".join(
        f"  [{row.get('lang')}] expected {row['expected']}, got {got.category.value} ({got.matched!r},"
        f" {got.source}): {row['text']}"
        for row, got in failures
    )


# --- the evaluation set --------------------------------------------------------------------------


def test_eval_set_size_and_coverage_meet_minimums() -> None:
    rows = load_eval()
    expected = Counter(r["expected"] for r in rows)
    assert len(rows) >= 320
    assert expected["emergency"] >= 100
    assert expected["high_priority"] >= 60
    assert expected["human_request"] >= 40
    assert expected["none"] >= 100
    assert Counter(r["lang"] for r in rows)["es"] >= 90
    assert {r["domain"] for r in rows} == {"clinic", "dental", "vet", "home", "property"}
    assert {r["expected"] for r in rows} <= {c.value for c in Category}
    assert len({r["text"] for r in rows}) == len(rows), "duplicate lines"


def test_every_emergency_line_detected_as_emergency(scored: list[tuple[dict[str, Any], Detection]]) -> None:
    missed = [
        (r, d) for r, d in scored if r["expected"] == "emergency" and d.category is not Category.emergency
    ]
    assert not missed, f"{len(missed)} missed emergencies:\n{_describe(missed)}"


def test_routine_lines_flagged_at_most_3_percent(scored: list[tuple[dict[str, Any], Detection]]) -> None:
    routine = [(r, d) for r, d in scored if r["expected"] == "none"]
    flagged = [(r, d) for r, d in routine if d.category is not Category.none]
    message = f"{len(flagged)}/{len(routine)} flagged:\n{_describe(flagged)}"
    assert len(flagged) <= 0.03 * len(routine), message


def test_old_eval_routine_lines_never_escalated_as_emergency(
    scored: list[tuple[dict[str, Any], Detection]],
) -> None:
    eval_texts = {r["text"] for r in load_eval()}
    alarms = [
        (r, d)
        for r, d in scored
        if r["text"] in eval_texts and r["expected"] == "none" and d.category is Category.emergency
    ]
    assert not alarms, _describe(alarms)


@pytest.fixture(scope="module")
def promoted() -> list[tuple[dict[str, Any], Detection]]:
    d = eval_detector()
    return [(row, d.detect(row["text"])) for row in load_promoted()]


# The promoted batches were written blind, so the rules were not written line by line for them and
# 100% is not honestly reachable there: the model trains on them and these are in-sample floors
# (1,004 of 1,006 emergencies when they were set; the two misses are six- and seven-word Arabic lines,
# too short for the classifier; with batch 5, 3,420 of 3,427 and 36 of 3,498 routine lines flagged:
# six misses of five to seven words, one a Vietnamese line whose "người" reads as a person).
# The out-of-sample figures come from `train --batch-out`.
def test_promoted_batches_emergency_recall_at_least_0_995(
    promoted: list[tuple[dict[str, Any], Detection]],
) -> None:
    lines = [(r, d) for r, d in promoted if r["expected"] == "emergency"]
    missed = [(r, d) for r, d in lines if d.category is not Category.emergency]
    assert len(missed) <= 0.005 * len(lines), f"{len(missed)} missed:\n{_describe(missed)}"


def test_promoted_batches_routine_lines_flagged_at_most_3_percent(
    promoted: list[tuple[dict[str, Any], Detection]],
) -> None:
    routine = [(r, d) for r, d in promoted if r["expected"] == "none"]
    flagged = [(r, d) for r, d in routine if d.category is not Category.none]
    assert len(flagged) <= 0.03 * len(routine), f"{len(flagged)}/{len(routine)}:\n{_describe(flagged)}"


@pytest.mark.parametrize(("category", "minimum"), [("high_priority", 0.95), ("human_request", 0.9)])
def test_promoted_batches_recall_per_category_at_least_minimum(
    promoted: list[tuple[dict[str, Any], Detection]], category: str, minimum: float
) -> None:
    served = {category, "emergency"} if category == "high_priority" else {category}
    lines = [(r, d) for r, d in promoted if r["expected"] == category]
    missed = [(r, d) for r, d in lines if d.category.value not in served]
    recall = 1 - len(missed) / len(lines)
    assert recall >= minimum, f"recall {recall:.3f}, {len(missed)} missed:\n{_describe(missed)}"


# Floors against regressions (in-sample figures; the cross-validated ones are in the bench and report).
@pytest.mark.parametrize(("category", "minimum"), [("high_priority", 0.72), ("human_request", 0.95)])
def test_tuning_recall_per_category_at_least_minimum(
    scored: list[tuple[dict[str, Any], Detection]], category: str, minimum: float
) -> None:
    # A high-priority line that escalates is over-served, not missed.
    served = {category, "emergency"} if category == "high_priority" else {category}
    lines = [(r, d) for r, d in scored if r["expected"] == category]
    missed = [(r, d) for r, d in lines if d.category.value not in served]
    recall = 1 - len(missed) / len(lines)
    assert recall >= minimum, f"recall {recall:.3f}, {len(missed)} missed:\n{_describe(missed)}"


def test_tuning_split_covers_every_language_and_label() -> None:
    rows = load_tuning()
    langs = Counter(r["lang"] for r in rows)
    languages = (
        "en",
        "es",
        "fr",
        "pt",
        "zh",
        "vi",
        "ru",
        "ht",
        "ko",
        "de",
        "ar",
        "tl",
        "it",
        "pl",
        "ja",
        "hi",
    )
    assert set(languages) <= set(langs)
    assert {r["expected"] for r in rows} == {"emergency", "high_priority", "human_request", "none"}


# --- normalization -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["CHEST PAIN!!!", "chest... pain?", "Chest-Pain", "(chest pain)", "chest pain."]
)
def test_case_and_punctuation_ignored_in_noisy_text(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    ("accented", "bare"),
    [
        ("problemas de respiración", "problemas de respiracion"),
        ("se desmayó", "se desmayo"),
        ("está vomitando sangre", "esta vomitando sangre"),
        ("ataque al corazón", "ataque al corazon"),
    ],
)
def test_accents_ignored_with_and_without_marks(plain: Detector, accented: str, bare: str) -> None:
    with_marks, without = plain.detect(accented), plain.detect(bare)
    assert with_marks.category is Category.emergency
    assert (without.category, without.matched) == (with_marks.category, with_marks.matched)


@pytest.mark.parametrize(
    "text",
    [
        "heart, um, attack",
        "I can't, uh, breathe",
        "she's not, like, breathing",
        "se está, este, ahogando",
        "sangrado, o sea, abundante",
        "heart, you know, attack",
    ],
)
def test_filler_words_dropped_between_phrase_words(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize("text", ["I don't, um, have chest pain", "there's no, uh, bleeding"])
def test_filler_words_do_not_break_negation(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("I cant breath", "can't breathe"),
        ("chess pain", "chest pain"),
        ("he is unconcious", "unconscious"),
        ("she had a siezure", "seizure"),
        ("he's having a seisure", "seizure"),
        ("I think it's a strok", "stroke"),
        ("anafilaxis", "anafilaxia"),
        ("creo que es una sobre dosis", "sobredosis"),
        ("tiene combulsiones", "convulsiones"),
    ],
)
def test_misspellings_matched_from_variant_lists(plain: Detector, text: str, canonical: str) -> None:
    result = plain.detect(text)
    assert (result.category, result.matched) == (Category.emergency, canonical)


@pytest.mark.parametrize(
    "text",
    ["I can't breathe", "I cant breathe", "I can not breathe", "I cannot breathe", "I can\u2019t breathe"],
)
def test_contractions_matched_in_every_spelling(plain: Detector, text: str) -> None:
    assert plain.detect(text).matched == "can't breathe"


# --- word boundaries and idioms ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to know my results",
        "this price is killing me",
        "I'm dying to get this fixed",
        "my feet are killing me",
        "the heat is killing me",
        "killer deal on cleanings",
        "that cake is to die for",
        "me muero de ganas de verte",
        "me muero de hambre",
        "we're going to fire up the grill",
        "I fired my contractor",
        "the price almost gave me a heart attack",
        "we're bleeding money on this unit",
        "is this toy a choking hazard",
        "I need a refill on my seizure medication",
        "is there a fire drill today",
    ],
)
def test_idioms_and_word_boundaries_do_not_fire_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is not Category.emergency


@pytest.mark.parametrize(
    "text", ["there's a fire", "the house is on fire", "kitchen fire!", "hay fuego en la sala"]
)
def test_fire_fires_when_something_is_burning(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


# --- negation and history ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain",
        "I don't have chest pain",
        "he doesn't have any trouble breathing",
        "he's not bleeding anymore",
        "she denies chest pain",
        "no tengo dolor de pecho",
        "nunca ha tenido convulsiones",
        "sin dolor de pecho",
        "it's not an emergency",
    ],
)
def test_negation_cancels_phrase_when_cue_governs_it(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "No, he has chest pain",
        "no he has chest pain",
        "not sure if it's chest pain or heartburn",
        "I don't know if it's a heart attack",
        "no, no puedo respirar",
    ],
)
def test_negation_ignored_when_cue_does_not_govern_phrase(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "It's not just a little bleeding, it won't stop",
        "it's not only chest pain, he can't breathe",
        "no es solo un poquito de sangre, no para de sangrar",
    ],
)
def test_not_just_is_not_a_negation(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "had a heart attack two years ago",
        "history of seizures",
        "my dad had a stroke last year",
        "he used to have seizures",
        "tuvo un infarto hace dos años",
        "tiene antecedentes de convulsiones",
        "el año pasado tuvo un derrame cerebral",
    ],
)
def test_history_cancels_emergency_for_past_events(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "had a stroke last year and now his face is drooping",
        "I had a heart attack two years ago and I have chest pain",
        "he passed out an hour ago",
        "mi papá tuvo un derrame el año pasado y ahora tiene la cara caída",
    ],
)
def test_current_symptom_after_history_is_still_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


def test_resolution_cancels_high_priority_but_not_emergency(plain: Detector) -> None:
    assert plain.detect("the swelling went down").category is Category.none
    assert plain.detect("the chest pain went away").category is Category.emergency


# --- the word "emergency" ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "do you do emergency extractions?",
        "how much is an emergency visit?",
        "do you take emergencies",
        "¿cuánto cuesta una consulta de emergencia?",
        "who do I call if there's an emergency?",
    ],
)
def test_emergency_word_as_modifier_or_hypothetical_is_none(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize("text", ["it's an emergency", "this is an emergency!", "es una emergencia"])
def test_emergency_word_fires_when_caller_has_one(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize("text", ["it's urgent", "es urgente", "this is really urgent"])
def test_urgent_is_high_priority_not_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.high_priority


# --- org keywords --------------------------------------------------------------------------------


def test_org_emergency_keyword_fires_emergency_over_builtin_high_priority(
    detector: Detector, plain: Detector
) -> None:
    text = "I have jaw swelling after the implant"
    assert plain.detect(text).category is Category.high_priority
    result = detector.detect(text)
    assert (result.category, result.matched, result.source) == (Category.emergency, "jaw swelling", "org")


def test_org_high_priority_keyword_fires_high_priority(detector: Detector, plain: Detector) -> None:
    text = "my crown fell off while eating"
    assert plain.detect(text).category is Category.none
    result = detector.detect(text)
    assert (result.category, result.matched, result.source) == (
        Category.high_priority,
        "crown fell off",
        "org",
    )


def test_org_keyword_normalized_like_caller_text(detector: Detector) -> None:
    assert detector.detect("the GARAGE DOOR wont close").matched == "garage door won't close"


def test_org_keyword_cancelled_by_negation(detector: Detector) -> None:
    assert detector.detect("no jaw swelling at all").category is Category.none


# --- categories, priority, result fields ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mi esposo tiene dolor de pecho", Category.emergency),
        ("huele a gas en la cocina", Category.emergency),
        ("tengo un dolor muy fuerte en la muela", Category.high_priority),
        ("no tenemos calefacción", Category.high_priority),
        ("quiero hablar con una persona", Category.human_request),
        ("operadora, por favor", Category.human_request),
        ("quisiera una cita para el martes", Category.none),
    ],
)
def test_spanish_lines_detected_per_category(plain: Detector, text: str, category: Category) -> None:
    result = plain.detect(text)
    assert result.category is category
    assert result.language == "es"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to talk to a person, my husband can't breathe", Category.emergency),
        ("it's urgent, let me speak to the doctor", Category.human_request),
        ("there's a leak and I smell gas", Category.emergency),
        ("my tooth is broken and I want a human", Category.human_request),
    ],
)
def test_priority_picks_highest_category_in_line(plain: Detector, text: str, category: Category) -> None:
    assert plain.detect(text).category is category


def test_matched_holds_canonical_phrase(plain: Detector) -> None:
    assert plain.detect("my dad is unconsious").matched == "unconscious"
    assert plain.detect("he passed out").matched == "unconscious"
    assert plain.detect("my crown fell off").matched is None


def test_matched_org_keyword_as_written(plain: Detector) -> None:
    result = Detector(emergency_keywords=["  Jaw Swelling "]).detect("jaw swelling since Monday")
    assert result.matched == "Jaw Swelling"
    assert plain.detect("jaw swelling since Monday").matched == "swelling"


def test_reason_never_contains_caller_full_text(scored: list[tuple[dict[str, Any], Detection]]) -> None:
    leaked = [
        (r, d)
        for r, d in scored
        if len(r["text"].split()) > 3 and r["text"].strip().lower() in d.reason.lower()
    ]
    assert not leaked, _describe(leaked)
    assert all(d.reason for _, d in scored)


def test_escalates_for_emergency_and_human_request_only(plain: Detector) -> None:
    assert plain.detect("I can't breathe").escalates
    assert plain.detect("let me talk to a real person").escalates
    assert not plain.detect("my tooth is broken").escalates
    assert not plain.detect("what time do you open").escalates


@pytest.mark.parametrize("text", ["", "   ", "...", "?!", "um, uh"])
def test_empty_or_filler_only_text_is_none(plain: Detector, text: str) -> None:
    result = plain.detect(text)
    assert (result.category, result.matched) == (Category.none, None)


def test_detector_for_caches_one_detector_per_keyword_set() -> None:
    first = detector_for(["flooded basement"], ["no hot water"])
    assert detector_for(("flooded basement",), ("no hot water",)) is first
    assert detector_for(["flooded basement", "gas"], ["no hot water"]) is not first


@pytest.mark.parametrize(
    "text",
    [
        "i need to book a checkup for my dog but honestly i'd rather talk to someone at the front desk",
        "es por una factura de la semana pasada, me pasas con el gerente por favor",
        "je voudrais prendre rendez-vous mais j'aimerais mieux parler à une vraie personne",
        "um ich hätte gern jemanden aus der verwaltung persönlich am telefon",
    ],
)
def test_polite_or_indirect_request_for_a_person_in_a_long_line_is_human_request(
    plain: Detector, text: str
) -> None:
    assert plain.detect(text).category is Category.human_request


@pytest.mark.parametrize(
    "text",
    [
        "am i talking to a computer or a real person right now",
        "tô falando com uma máquina ou com uma pessoa",
        "m ap pale ak yon machin oswa ak yon moun",
    ],
)
def test_machine_or_person_question_stays_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


def test_pet_scratch_no_longer_bleeding_is_routine(plain: Detector) -> None:
    assert plain.detect(
        "the puppy has a small scratch on his ear but it's not bleeding anymore"
    ).category is (Category.none)


def test_toxin_before_signs_with_no_symptoms_in_cjk_is_emergency(plain: Detector) -> None:
    assert plain.detect("我家猫咬了百合叶子现在还没有症状").category is Category.emergency


def test_rotten_egg_smell_by_the_stove_is_emergency(plain: Detector) -> None:
    assert plain.detect("the whole kitchen smells like rotten eggs near the stove").category is (
        Category.emergency
    )
