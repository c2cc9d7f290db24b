"""Language of a caller line: script first, then marks and function words; best effort."""

import pytest

from app.safety.detect.langid import detect_language
from app.safety.detection import Detector


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my husband can't breathe", "en"),
        ("mi esposo no puede respirar", "es"),
        ("mon mari ne respire plus", "fr"),
        ("meu marido não está respirando", "pt"),
        ("我丈夫不能呼吸了", "zh"),
        ("chồng tôi không thở được", "vi"),
        ("мой муж не дышит", "ru"),
        ("mari mwen pa ka respire", "ht"),
        ("남편이 숨을 못 쉬어요", "ko"),
        ("mein mann atmet nicht mehr", "de"),
        ("زوجي لا يتنفس", "ar"),
        ("hindi makahinga ang asawa ko", "tl"),
        ("mio marito non respira", "it"),
        ("mój mąż nie oddycha", "pl"),
        ("夫が息をしていません", "ja"),
        ("mere pati saans nahi le rahe hain", "hi"),
    ],
)
def test_language_of_line_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_language_without_any_clue_is_none() -> None:
    assert detect_language("123 456") is None
    assert detect_language("") is None


def test_kanji_with_kana_is_japanese_not_chinese() -> None:
    assert detect_language("胸が痛いです") == "ja"
    assert detect_language("胸口痛") == "zh"


def test_detection_reports_line_language_whatever_fired() -> None:
    detector = Detector()
    assert detector.detect("mon mari ne respire plus").language == "fr"
    assert detector.detect("quisiera una cita para el martes").language == "es"
