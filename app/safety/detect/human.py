"""A request for a person in any of the sixteen languages: a request ("put me through", "pasame",
"verbinden sie mich", "연결해 주세요") together with someone to talk to ("a person", "le gérant", "直接"),
or an operator escape: "operator" said twice, or "zero" repeated as the whole line ("zéro zéro zéro").
A bare question ("is this a robot?") is not a request, and a phone number full of zeros is not an escape.
"""

from __future__ import annotations

import re

from app.safety.detect.context import Context
from app.safety.detect.context_data import HUMAN_REQUEST_VERBS as _REQUEST
from app.safety.detect.matcher import PhraseIndex

# fmt: off
_SOMEONE = (
    "a person", "a human", "someone", "somebody", "a real person", "a live person", "the manager",
    "a manager",
    "supervisor", "receptionist", "a representative", "front desk", "the doctor", "alguien", "una persona",
    "un humano", "el gerente", "la recepcion", "el encargado", "la encargada", "quelquun", "quelqu un",
    "une personne",
    "un humain", "un responsable", "le gestionnaire", "le gerant", "une vraie", "secretaire", "le medecin",
    "le docteur", "alguem", "uma pessoa", "um humano", "o gerente", "o sindico", "a recepcao", "atendente",
    "pessoa mesmo", "qualcuno", "una persona", "il tecnico", "lamministratore", "l amministratore",
    "la segretaria",
    "il responsabile",
    "il dottore", "col dottore", "in persona", "jemand*", "mensch*", "den meister", "hausverwaltung",
    "vorgesetzt*",
    "praxismanagerin", "herr doktor", "personlich", "czlowiek*", "kogos", "ktos", "konsultant*", "fachowc*",
    "zarzadc*", "kierownik*", "recepcjonistk*", "doktorem", "pracownik", "osobiscie", "moun", "teknisyen",
    "jeran",
    "anplwaye", "direkte", "chef", "tao", "technician", "admin", "secretary", "doc", "nguoi", "nhan vien",
    "tiep tan", "ai do", "tho sua", "anh tho", "gap tho", "человек*", "кого нибудь", "мастер*",
    "оператор*", "сотрудник*", "администратор*",
    "лично", "شخص", "بني آدم", "الفني", "المسؤول", "موظف", "احد", "حدا", "الدكتور", "مدير", "aadmi", "insaan",
    "banda", "manager", "staff", "receptionist", "senior", "doctor sahab", "mistri", "人", "经理", "工作人员",
    "前台", "人工", "担当", "受付", "責任者", "院長", "直接", "직원", "사람", "담당자", "실장", "원장",
    "관리소장", "직접", "gestionnaire", "gerant", "responsable", "amministratore", "recepcionista",
    "человека",
    "بالمسؤول", "المسؤولة", "بمدير", "kisi ko", "human", "小姐姐", "sa tao", "khud", "anybody", "actual",
    "himself", "herself", "the super", "superintendent", "nurse", "the person who", "a real", "a live",
    "your boss", "the boss", "kims", "z kims", "スタッフ", "スタッフの方", "staff", "der praxis",
    "anyone real",
    "someone real",
    "somebody real", "человек*", "انسان", "إنسان",
    "pessoa", "persona", "personne", "osob*", "insaan", "tao", "moun", "nguoi that", "真人", "사람",
    # Roles a caller names instead of "a person" (batch 3's misses).
    "staff member", "hygienist", "scheduler", "leasing agent", "leasing office", "el veterinario",
    "la veterinaria", "berater*", "диспетчер*", "менеджер*", "sekrete", "resepsyonis", "handlowc*",
    "addetto", "addetta", "segreteria", "a doutora", "o doutor", "richtige person", "echte person",
    "eine person", "agent humain", "بإنسان", "بموظفة", "موظفة", "بموظف", "الاستقبال", "حد",
)
# Words that leave a bare "a human" or "agent" line still a request: politeness, articles, "real".
# fmt: off
_POLITE = frozenset(
    (
        "please", "pls", "plz", "now", "just", "real", "actual", "live", "a", "an", "the", "some", "one",
        "un", "una", "une", "um", "uma", "ein", "einen", "eine", "yon", "ng", "ang", "por", "favor", "svp",
        "sil", "vous", "plait", "bitte", "per", "favore", "prosze", "poprosze", "пожалуйста", "tanpri", "po",
        "naman", "lo", "لو", "سمحت", "من", "فضلك", "kripya", "xin", "vui", "long", "cho", "toi", "请",
        "お願いします", "주세요", "de", "verdad", "vraie", "vero", "echten", "hai", "koi", "gusto", "ko",
        "quiero", "je", "veux", "voglio", "ich", "will", "chce", "хочу", "ابي", "بدي", "mujhe", "chahiye",
        "need", "want", "i", "talk", "to", "speak", "with", "con", "com", "mit", "z", "avec", "ak", "sa",
        "voi", "مع", "se", "me", "moi",
    )
)
_OPERATOR = (
    "operator", "operador", "operadora", "operateur", "operatore", "operatorem", "opérateur", "operate",
    "konsultant", "vermittlung", "customer care", "customer service", "tong dai vien", "tong dai", "оператор",
    "خدمة العملاء", "总机", "人工", "オペレーター", "상담원", "agent", "representative", "representante",
    "agente",
)
_ZERO = (
    "zero", "cero", "zéro", "zewo", "null", "ноль", "صفر", "khong", "零", "ゼロ", "영", "sifar", "zero po",
    "0",
)
# fmt: on

# Digits, number words in the scripts that write them as characters, and "number" itself.
_NUMBERS = re.compile(
    r"\d|[一二三四五六七八九十百]|イチ|ニ|サン|ヨン|ゴ|ロク|ナナ|ハチ|キュー|(?<!\w)(number|numero|nummer|numer|nimewo|"
    r"номер|so dien thoai)(?!\w)|رقم|番号|번호|电话"
)

# Verbs of talking: a request with someone to talk to ("falar com uma pessoa"), but no override of a
# bare question ("estou falando com uma máquina ou com uma pessoa?"), so not in HUMAN_REQUEST_VERBS.
_TALK = (
    "can talk to",
    "can speak to",
    "can speak with",
    "hablar con",
    "parler a",
    "parler avec",
    "falar com",
    "parlare con",
    "rozmawiac z",
    "pale ak",
    "احكي مع",
)

_INDEX: PhraseIndex[str] = PhraseIndex.build(
    [(p, "request") for p in (*_REQUEST, *_TALK)]
    + [(p, "someone") for p in _SOMEONE]
    + [(p, "operator") for p in _OPERATOR]
    + [(p, "zero") for p in _ZERO]
)


def _only_polite(text: str, found: list[tuple[int, int, str]]) -> bool:
    rest = text
    for s, e, kind in sorted(found, reverse=True):
        if kind in ("someone", "operator"):
            rest = rest[:s] + " " + rest[e:]
    others = rest.replace("?", " ").replace(",", " ").replace(".", " ").split()
    return len(others) <= 4 and all(w in _POLITE for w in others)


def detect(context: Context) -> str | None:
    """The concept ("a person", "operator escape") when the line asks for a person, else None."""
    found = _INDEX.find(context.line)
    kinds = [kind for _, _, kind in found]
    if "request" in kinds and "someone" in kinds:
        return "a person"
    if kinds.count("operator") >= 2:
        return "operator escape"
    if ("someone" in kinds or "operator" in kinds) and _only_polite(context.text, found):
        # The whole line names who to talk to: "human please", "agent", "человека пожалуйста".
        return "a person"
    zeros = [(s, e) for s, e, kind in found if kind == "zero"]
    if len(zeros) >= 2:
        # The whole line is the escape: little else in it (a number with zeros in it has other digits).
        rest = context.text
        for s, e in reversed(zeros):
            rest = rest[:s] + " " + rest[e:]
        others = rest.split()
        if len(others) <= 3 and sum(len(w) for w in others) <= 16 and _NUMBERS.search(rest) is None:
            return "operator escape"
    return None
