"""Emergencies told as a story (what happened and a sign of how bad, in any language), each half
judged in its own scope; requests for a person said in a word; the mild leak and the words that are
negations in one language only."""

import pytest

from app.safety.detection import Category, Detector


@pytest.fixture(scope="module")
def plain() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    "text",
    [
        # a head knock and a sign of brain injury
        "mio figlio ha preso una botta in testa e adesso e confuso",
        "syn upal udarilsya golovoy i teper ego rvet",
        "孩子从床上摔下来撞到头了现在一直想睡觉",
        "ابني وقع وضرب راسه وصار يرجع",
        # Vietnamese "nó" (he) is not English "no": "now he keeps vomiting"
        "con toi te dap dau xuong san gio no oi mua lien tuc",
        # heat, and confusion
        "si lolo nasa araw buong araw at ngayon nalilito siya",
        # a young baby with a fever
        "mon bebe de deux mois a trente huit cinq de fievre",
        # a swallowed button battery, before any sign
        "子供がボタン電池を飲み込みました",
        "ребёнок проглотил батарейку",
        # swelling and trouble swallowing
        "땅콩을 먹고 나서 입술이 붓고 삼키기 힘들어해요",
        # cold exposure and shaking
        "он провалился под лед весь мокрый трясется и не разговаривает",
        # pregnancy and one-sided pain
        "meine frau ist schwanger und hat plötzlich starke bauchschmerzen auf einer seite",
        # a diabetic with fruity breath
        "my sister is type one and her breath smells fruity and she keeps throwing up",
        # labour with no delivery
        "my ewe has been straining for two hours and only one leg is showing",
    ],
)
def test_narrated_emergency_detected_in_any_language(plain: Detector, text: str) -> None:
    result = plain.detect(text)
    assert result.category is Category.emergency, (result.source, result.matched)


@pytest.mark.parametrize(
    "text",
    [
        # the sign is negated
        "he bumped his head yesterday, no vomiting, not confused, the doctor saw him",
        # the sign is said to be fine: urgent, not an emergency
        "이가 너무 아프고 볼이 부었어요 삼키는 건 괜찮아요",
        "ضرسي يوجعني موت وخدي وارم بس ابلع عادي",
        # the story is in the past
        "last year he hit his head and was vomiting, now we just need the school form",
    ],
)
def test_narrated_emergency_cancelled_in_scope(plain: Detector, text: str) -> None:
    result = plain.detect(text)
    assert result.category is not Category.emergency, (result.source, result.matched)


@pytest.mark.parametrize(
    "text",
    [
        "le robinet de la cuisine fuit un peu",
        "台所の蛇口が少し水漏れしています",
        "kitchen ka nal thoda tapak raha hai",
    ],
)
def test_mild_leak_is_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "human please",
        "agent",
        "человека пожалуйста",
        "pessoa real por favor",
        "i dont want a bot",
        "prosze polaczyc z kims",
        "am i talking to a machine, i need to speak to a human please",
    ],
)
def test_request_for_a_person_in_a_word(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


@pytest.mark.parametrize(
    "text",
    [
        "é um robô que tá atendendo",
        "se yon robo k ap pale avè m",
        "isso e um robo?",
    ],
)
def test_robot_in_portuguese_or_creole_is_not_a_robbery(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "me quiero morir de la risa con su música de espera",
        "đói chết đi được mấy giờ mở cửa",
        "the intake sheet asks about seizures, i had one as a kid",
        "er hatte letztes jahr einen herzinfarkt jetzt geht es ihm gut wir brauchen nur ein rezept",
    ],
)
def test_idiom_or_history_in_other_languages_is_routine(plain: Detector, text: str) -> None:
    result = plain.detect(text)
    assert result.category is Category.none, (result.source, result.matched)


@pytest.mark.parametrize(
    "text",
    [
        "il a fait un avc l annee derniere et ca recommence maintenant",
        "he had a seizure last month and it's happening again right now",
    ],
)
def test_past_event_happening_again_now_is_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


def test_literal_pain_said_as_an_idiom_is_still_read_by_the_model(plain: Detector) -> None:
    # "killing me" is blanked as hyperbole, but what is left is a narrative the classifier reads.
    result = plain.detect("my chest is killing me and my left arm went numb")
    assert result.category is Category.emergency, (result.source, result.matched)
