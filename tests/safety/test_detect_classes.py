"""Concept classes added after batch 4: a detector chirping for its battery, a child locked in a hot
car, a person asked for by name to call back "herself", "I pressed zero", a farewell told without the
word, a bare question only about a machine or a person, and hyperbole in other languages; after
batch 5, someone sent to look at something (a visit, not a person to talk to)."""

import pytest

from app.safety.detect import human
from app.safety.detect.context import Context
from app.safety.detect.langid import detect_language
from app.safety.detect.text import fold
from app.safety.detection import Category, Detector


@pytest.fixture(scope="module")
def plain() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    "text",
    [
        "the carbon monoxide detector in the hall chirps every few minutes, i think it wants a new battery",
        "el detector de humo pita cada rato creo que es la pila nada se quema",
        "der rauchmelder im flur piept alle paar minuten die batterie ist wohl leer",
        "복도 화재경보기가 배터리 때문에 계속 삑삑거려요 연기는 없어요",
    ],
)
def test_detector_chirping_for_its_battery_is_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "the co alarm is going off and my wife and i both have pounding headaches",
        "the smoke detector is going off and there is smoke coming from the dryer",
    ],
)
def test_detector_going_off_without_a_battery_is_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "i locked the keys in the car and my toddler is still strapped in, it's like ninety five degrees",
        "se me quedaron las llaves adentro del carro con mi bebé y hace mucho calor",
    ],
)
def test_child_locked_in_a_hot_car_is_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


def test_child_locked_in_without_heat_stays_high_priority(plain: Detector) -> None:
    text = "i'm locked out and my kid is inside watching cartoons, she's fine, can you send a locksmith"
    assert plain.detect(text).category is Category.high_priority


@pytest.mark.parametrize(
    "text",
    [
        "could the dentist call me back herself this afternoon",
        "quisiera que la doctora me llamara ella misma por favor",
        "ich möchte dass der arzt mich persönlich zurückruft",
        "пусть врач сам мне перезвонит",
    ],
)
def test_asking_for_that_very_person_is_human_request(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


@pytest.mark.parametrize(
    "text",
    [
        "i pressed zero three times already zero zero",
        "ya marqué cero cero y nada",
    ],
)
def test_pressing_zero_is_an_operator_escape(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


def test_question_frame_without_a_machine_is_no_bare_question(plain: Detector) -> None:
    # "c'è un" holds "è un" (is it a...?): without a machine or a person it asks nothing.
    assert plain.detect("c'è un incendio nel garage e il fumo entra in casa").category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "questa bolletta mi sta uccidendo posso pagare a rate",
        "mi celular se está muriendo me pueden llamar más tarde",
        "mamamatay na ako sa dami ng forms pwede ba i-email na lang",
        "这个账单烦死了 能不能分期付款",
    ],
)
def test_hyperbole_in_other_languages_is_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


def _person(text: str) -> str | None:
    return human.detect(Context.of(fold(text), detect_language(text)))


@pytest.mark.parametrize(
    "text",
    [
        "can i get someone out to look at a dripping bathroom faucet sometime this week no rush",
        "i just want someone to check the sump pump",
        "m ta renmen yon moun vin tcheke kay pa m",
    ],
)
def test_someone_sent_to_look_is_no_request_for_a_person(text: str) -> None:
    assert _person(text) is None


@pytest.mark.parametrize(
    "text",
    ["i need someone to come fix my heater, can i talk to a person", "can someone call me back"],
)
def test_request_to_talk_beside_a_visit_is_still_a_request_for_a_person(text: str) -> None:
    assert _person(text) == "a person"


# After batch 6: Arabic "am I speaking with a person or a device?" holds "أكلم" (speak with), a
# request word only outside the question's own frame.
@pytest.mark.parametrize(
    "text",
    ["لو سمحت انا اكلم انسان ولا جهاز", "انا عم احكي مع روبوت ولا لا"],
)
def test_arabic_question_about_a_machine_is_no_request(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize("text", ["ابغى اكلم انسان", "انا اكلم جهاز ولا انسان؟ ابغى اكلم موظف"])
def test_arabic_request_beside_the_question_stays_a_request(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


# After batch 8: zero pressed once and said beside the press, in the order each language says it.
@pytest.mark.parametrize(
    "text",
    [
        "i keep pushing zero and it just loops back to the menu",
        "ich drücke hier dauernd die null",
        "受付につながらないのでゼロを押してます",
        "0번을 눌러도 연결이 안 돼요",
        "我一直按零都没有人接",
    ],
)
def test_zero_pressed_once_is_an_operator_escape(text: str) -> None:
    assert _person(text) == "operator escape"


@pytest.mark.parametrize(
    "text",
    [
        "the temperature is hitting zero tonight and the furnace quit",
        "i pressed zero but i meant to press 2 for billing",
    ],
)
def test_zero_not_pressed_alone_is_no_operator_escape(text: str) -> None:
    assert _person(text) != "operator escape"


@pytest.mark.parametrize(
    "text",
    [
        "wait is this a recording because i need a real human on the phone",
        "are you a bot? can you get the office manager for me",
        "is this automated, i just want the hygienist herself",
    ],
)
def test_want_after_a_question_about_the_machine_is_human_request(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


@pytest.mark.parametrize(
    "text",
    ["i want to move my cleaning to friday, is this a robot", "am i talking to a machine or a real person"],
)
def test_question_about_the_machine_without_a_want_after_it_stays_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize("text", ["front desk please front desk", "con el gerente por favor"])
def test_line_naming_only_who_to_talk_to_is_a_request(text: str) -> None:
    # Overlapping names ("front desk", "desk") are blanked in place, and articles are filler.
    assert _person(text) == "a person"


@pytest.mark.parametrize(
    "text",
    [
        "my cat sneezes every now and then, can someone tell me if the clinic is open saturday",
        "mwen jis bezwen yon moun pou repare pòt garaj la",
    ],
)
def test_joining_word_or_someone_sent_for_a_job_is_no_request(text: str) -> None:
    # "Then" asks for someone only right before who ("so it's a machine? then a person"); "moun pou
    # repare" is someone to fix something.
    assert _person(text) is None


def test_then_right_before_someone_is_a_request() -> None:
    assert _person("oh it's a recording, then someone from the office please") == "a person"


@pytest.mark.parametrize("text", ["una persona verdadera por favor", "einen echten menschen bitte"])
def test_real_person_alone_in_any_language_is_a_request(text: str) -> None:
    assert _person(text) == "a person"
