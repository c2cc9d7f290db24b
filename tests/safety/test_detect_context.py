# ruff: noqa: RUF001 -- Cyrillic letters here are Russian words, not look-alikes of Latin ones
"""Cancel cues apply only inside their own scope, in every language: past, resolved, negation, a
condition not met, hyperbole, a third party or fiction, a question, a history form, a mild version;
"happening again right now" is not past."""

import pytest

from app.safety import detection
from app.safety.detection import Category, Detector


@pytest.fixture(scope="module")
def plain() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    "text",
    [
        # past or resolved
        "the ambulance took him in on sunday he's home and fine now we need the follow up appointment",
        "w niedzielę zabrała go karetka teraz jest w domu wszystko dobrze potrzebujemy wizyty kontrolnej",
        "ich hatte vor einem jahr einen herzinfarkt mit stent jetzt geht es mir gut nur die jahreskontrolle",
        # someone else's event, or fiction
        "on that hospital show a guy went into cardiac arrest and now my son wants to learn cpr",
        "dans mon jeu vidéo le perso fait une overdose bref je voudrais un rendez-vous pour ma fille",
        "my friend's cat died from lilies so i'm throwing them all out",
        # a condition not met
        "the vet said come straight in if she vomits blood, she hasn't, just confirming friday",
        "피를 토하면 바로 오라고 하셨는데 안 토했어요 금요일 예약 확인하려고요",
        # hyperbole and idioms
        "my boss will murder me if I'm late",
        "me muero de hambre a qué hora abren",
        "mon patron va me tuer si j'arrive en retard",
        # a question about emergencies, a history form
        "what counts as an emergency after hours",
        "wie erkenne ich einen schlaganfall ich will es einfach wissen",
        "the form asks about past surgeries, I had my appendix out at twelve",
        # negation, in the languages that put it after the phrase too
        "không đau ngực không khó thở chỉ ho thôi",
        "胸の痛みも息苦しさもなくて咳だけです",
        "seene mein dard nahi saans ki dikkat nahi bas khaansi hai",
        "não tem cheiro de gás nenhum o fogão só não acende",
        # a bare question about a machine is not a request for a person
        "am i talking to a real person or an ai",
        "я с живым человеком говорю или нет",
        # a phone number full of zeros is not an operator escape
        "my callback number is seven zero zero three zero zero zero zero five",
        "我的电话是一三九零零零零八八零零",
        # a negation after a phrase the English trie found, in a code-switched line
        "koi gas smell nahi hai alarm bhi nahi baj raha bas geyser ka pilot baar baar off ho jata hai",
        # Korean "안" before the verb it negates
        "가스 냄새도 안 나고 경보기도 안 울려요 그냥 온수가 잘 안 나와요",
        # told as over and back to normal
        "my grandson had an asthma attack last night but his inhaler worked and hes back to normal",
        "the basement flooded yesterday but its all pumped out and dry now, can you check the sump pump",
        # a month or a childhood in the past
        "back in march there was a gas leak in building c and i need a copy of the incident report",
        "when my son was a baby he had a febrile seizure and now his school wants a form for sports",
        # a history form, a renovation show
        "on the history form it asks about suicide attempts, the one from when i was a teenager",
        "on this renovation show the guy grabbed a live wire and got thrown, i want my wiring inspected",
        # a bare question about a machine, in Tagalog and English
        "tao po ba kayo or machine",
    ],
)
def test_cancel_cue_in_scope_makes_line_routine(plain: Detector, text: str) -> None:
    result = plain.detect(text)
    assert result.category is Category.none, (result.source, result.matched)


@pytest.mark.parametrize(
    "text",
    [
        # the same context, happening now
        "he had a seizure last month and it's happening again right now he's on the floor shaking",
        "tuần trước nó bị co giật một lần giờ lại đang co giật nữa ngay lúc này",
        "la settimana scorsa ha avuto una crisi epilettica e adesso sta succedendo di nuovo proprio ora",
        # a past event, then a current symptom in its own clause
        "he had a stroke last year and now he can't breathe",
        # a negation that governs another phrase, not this one
        "زوجي مش بيتنفس الحقوني",
        "no, no puedo respirar",
        # "not sure if" is doubt, not a condition
        "je ne sais pas s'il respire encore",
        "I don't know if it's a heart attack",
    ],
)
def test_cancel_cue_out_of_scope_keeps_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "a small cut from slicing onions, it already stopped bleeding",
        "the bathroom fan rattles a little when it runs",
        "em bị muỗi đốt sưng một cục nhỏ ngứa thôi",
    ],
)
def test_mild_version_is_routine(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "mon mari ne respire plus",
        "meu pai não está respirando",
        "mein vater atmet nicht mehr",
        "mój tata nie oddycha",
        "мой отец не дышит",
        "bố tôi không thở được",
        "papa m pa ka respire",
        "hindi humihinga ang tatay ko",
        "mio padre non respira",
        "أبي لا يتنفس",
        "papa saans nahi le rahe",
        "我爸爸没有呼吸了",
        "父が息をしていない",
        "아버지가 숨을 안 쉬어요",
        "my dad no respira, please help",
    ],
)
def test_not_breathing_is_emergency_in_every_language(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "grandpa was mowing in the sun and now he's confused and his skin is hot and dry",
        "she got stung by something and now she says her tongue feels thick",
        "my son went through the ice on the pond, he's soaked and shaking and won't talk",
        "he took a hard hit at practice and keeps asking us the same question over and over",
        "the baby's soft spot looks sunken and there hasn't been a wet diaper since yesterday",
    ],
)
def test_narrative_without_canonical_keyword_is_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


@pytest.mark.parametrize(
    "text",
    [
        "c'est un répondeur automatique alors je veux parler au gestionnaire",
        "so this is automated? then get me a human",
        "zéro zéro zéro",
        "operator operator",
        "cho tôi nói chuyện với người thật đi",
        "사람 바꿔 주세요",
    ],
)
def test_request_for_a_person_in_any_language(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.human_request


@pytest.mark.parametrize("text", ["gas smell aa rahi hai bahut tez", "가스 냄새가 나요 집 안에 가득해요"])
def test_phrase_without_negation_after_it_stays_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


# After batch 8: a negation governs every item of its list, across "or", in the trie and the lexicon.
@pytest.mark.parametrize(
    "text",
    [
        "no chest pain or trouble breathing at all, i only need the refill on my statin",
        "khong co dau nguc hay kho tho, toi chi can hen tai kham",
        "wala namang usok o apoy, yung smoke detector lang po ang papalitan kasi luma na",
    ],
)
def test_negation_carries_over_or_in_a_list(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.none


@pytest.mark.parametrize(
    "text",
    [
        "i don't know if it's chest pain or trouble breathing, he looks gray",
        "no fever or cough but now he has chest pain",
        "ba toi bi dau nguc hay kho tho tu sang",
    ],
)
def test_or_without_a_negated_item_before_it_keeps_emergency(plain: Detector, text: str) -> None:
    assert plain.detect(text).category is Category.emergency


def test_a_long_run_of_or_is_one_pass_not_a_branching_search(
    plain: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hostile or garbled line: each "or" used to try the four words before it, and each of those the
    # four before the next "or", so 40 items took minutes on the event loop. Counted, not timed: the
    # negation check may look at each word of the line once.
    text = "he has " + "x or " * 300 + "chest pain"
    real, calls = detection._negated, 0

    def counted(*args: object, **kwargs: object) -> bool:
        nonlocal calls
        calls += 1
        assert calls <= len(text.split()), "the negation check branches over the line's words"
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(detection, "_negated", counted)
    assert plain.detect(text).category is Category.emergency
