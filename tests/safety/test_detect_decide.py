"""How decide() weighs the rules against the classifier: the classifier vetoes a rule hit only on a
long line it is sure is routine and where the rules made no scope decision of their own, and says
nothing at all on a short line. Scripted models make each case exact."""

from app.safety.detect import model, train
from app.safety.detect.model import Model
from app.safety.detection import Category, Detector

_SURE_ROUTINE = Model({"intercept": [0.0, 0.0, 0.0, 9.0], "weights": {}, "thresholds": train.THRESHOLDS})
_SURE_EMERGENCY = Model({"intercept": [9.0, 0.0, 0.0, 0.0], "weights": {}, "thresholds": train.THRESHOLDS})
_LONG_HIT = "my husband is having chest pain in the kitchen and he is sweating a lot"


def test_shipped_thresholds_are_the_ones_train_writes() -> None:
    assert model.load().thresholds == train.THRESHOLDS


def test_veto_drops_rule_hit_on_long_line_classifier_is_sure_is_routine() -> None:
    assert Detector().detect(_LONG_HIT).category is Category.emergency
    assert Detector(model=_SURE_ROUTINE).detect(_LONG_HIT).category is Category.none


def test_veto_never_drops_org_keyword() -> None:
    text = "the kids are stuck in the elevator on the third floor of the building right here"
    detector = Detector(("stuck in the elevator",), model=_SURE_ROUTINE)
    assert detector.detect(text).source == "org"


def test_veto_skipped_on_short_line() -> None:
    assert Detector(model=_SURE_ROUTINE).detect("he has chest pain").category is Category.emergency


def test_veto_skipped_where_rules_scoped_a_cue_away_from_the_phrase() -> None:
    # The rules cancelled the past heart attack and kept the chest pain in its own clause.
    text = "I had a heart attack two years ago and I have chest pain"
    assert Detector(model=_SURE_ROUTINE).detect(text).category is Category.emergency


def test_veto_skipped_when_caller_is_in_doubt() -> None:
    text = "i don't know if my dad is having a heart attack he is in the kitchen"
    assert Detector(model=_SURE_ROUTINE).detect(text).category is Category.emergency


def test_short_line_classifier_stays_silent() -> None:
    # n-grams have too little to go on: "no chest pain" stays cancelled, a bare line stays routine.
    assert Detector(model=_SURE_EMERGENCY).detect("no chest pain").category is Category.none
    assert Detector(model=_SURE_EMERGENCY).detect("the dog ate the whole bar").category is Category.none


# P(high priority) 0.6: above the bar for an urgent line, below the one for a negated line.
_FAIRLY_URGENT = Model({"intercept": [0.0, 1.504, 0.0, 0.0], "weights": {}, "thresholds": train.THRESHOLDS})


def test_classifier_alone_raises_urgent_line_it_is_fairly_sure_of() -> None:
    text = "the kitchen sink in the back of the house drains slowly this whole week"
    detection = Detector(model=_FAIRLY_URGENT).detect(text)
    assert (detection.category, detection.source) == (Category.high_priority, "model")


def test_classifier_alone_needs_surer_verdict_on_negated_line() -> None:
    text = "the kitchen sink in the back of the house does not drain well this whole week"
    assert Detector(model=_FAIRLY_URGENT).detect(text).category is Category.none
