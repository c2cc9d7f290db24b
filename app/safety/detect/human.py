"""A request for a person in any of the sixteen languages: a request ("put me through", "pasame",
"verbinden sie mich", "연결해 주세요") together with someone to talk to ("a person", "le gérant", "直接"),
or an operator escape: "operator" said twice, or "zero" repeated as the whole line ("zéro zéro zéro").
A bare question ("is this a robot?") is not a request, and a phone number full of zeros is not an escape.
"""

from __future__ import annotations

import bisect
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
    # Speech-to-text spellings and roles named instead of "a person" (batch 4's misses), and the
    # romanized forms callers type or transcription produces for the scripts above.
    "humen", "human being", "reel person", "a reel", "representive", "customer service rep",
    "property manager", "asesor", "asesora", "un agente", "asistente", "la senora", "el senor",
    "receptionist na", "reseptyonis", "hito", "ren gong", "rengong", "kefu", "ke fu", "sangdamwon",
    "jigwon", "mowazaf*", "mowazzaf*", "manadje", "rejestracj*", "funcionario", "funcionaria",
)
# "I want / I need" asks for a person only when what is wanted can only be a person ("i need a person
# to explain this"), not a trade ("i need a technician on tuesday" is a booking).
_WANT = (
    "i want", "i need", "id like", "i would like", "quiero", "necesito", "je veux", "jai besoin d",
    "quero", "preciso de", "voglio", "ho bisogno di", "ich will", "ich brauche", "chce", "potrzebuje",
    "хочу", "мне нужен", "мне нужна", "gusto ko", "kailangan ko", "toi muon", "toi can", "mujhe",
    "m vle", "m bezwen", "ابي", "بدي", "عايز", "我要", "我想要", "がいい", "원해요",
)
_HUMAN_ONLY = (
    "a person", "a human", "human being", "a real person", "a live person", "a real human", "a real one",
    "un agente", "una persona", "un humano", "una persona real", "alguien real", "une personne",
    "un humain", "une vraie personne", "uma pessoa", "um humano", "una persona vera", "un essere umano",
    "eine person", "einen menschen", "echten menschen", "einen echten", "prawdziwa osob*", "czlowieka",
    "живого человека", "человека", "tao", "totoong tao", "nguoi that", "moun tout bon", "انسان", "إنسان",
    "insaan", "真人", "人工", "人間", "사람",
)
# Who a caller may want in person, which alone is no request ("医生叫我多喝水"): only with _SELF.
_ROLE = (
    "doctor", "doctora", "dottoressa", "dottore", "medico", "medica", "arztin", "arzt", "docteur",
    "medecin", "doutora", "doutor", "lekarz", "lekarka", "dokte", "doc", "doktor", "доктор", "врач",
    "الدكتور", "الدكتورة", "医生", "大夫", "医師", "先生", "의사", "원장님", "bac si", "manager", "vet",
    "veterinario", "veterinaria", "dentist", "dentista",
)
# The caller wants that very person, not a message: "have the doctor call me back herself",
# "que me llame el doctor mismo", "пусть доктор сам перезвонит", "原長님이 직접 전화". With someone named,
# this is a request for a person even without a request verb.
_SELF = (
    "herself", "himself", "themselves", "el mismo", "ella misma", "doctor mismo", "doctora misma",
    "lei stessa", "lui stesso", "elle meme", "lui meme", "ela mesma", "ele mesmo", "сам", "сама",
    "نفسه", "نفسها", "بنفسه", "بنفسها", "khud", "mismo ang", "li menm", "本人", "ご本人", "본인",
)
# "Personally", "directly": a way of doing anything ("i'll pay in person"), so a request for that
# person only beside a call or a talk ("soll mich persönlich zurückrufen", "직접 전화 주시면").
_PERSONALLY = (
    "personally", "in person", "en persona", "personalmente", "personlich", "en personne", "pessoalmente",
    "osobiscie", "лично", "亲自", "親自", "直接", "직접", "directly",
)
_CALL = (
    "call", "calls", "llame", "llamara", "llamar", "rappel*", "zuruckruf*", "anruf*", "richiam*", "chiam*",
    "ligar", "ligue", "zadzwon*", "oddzwon*", "перезвон*", "позвон*", "tumawag", "goi lai", "goi cho",
    "rele", "电话", "電話", "전화", "اتصل", "يتصل", "يكلمني", "كلمني", "baat", "speak", "talk", "hablar",
    "parler", "falar", "parlare", "sprechen", "rozmawiac", "поговор*", "話",
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
        "voi", "مع", "se", "me", "moi", "la", "el", "le", "il", "o", "der", "die", "den", "dem",
        # "Real" in every language: "une personne réelle svp", "una persona verdadera".
        "reelle", "reel", "reale", "verdadera", "verdadero", "verdadeira", "echte", "echter", "prawdziwa",
        "prawdziwego", "живого", "живой",
    )
)
_OPERATOR = (
    "operator", "operador", "operadora", "operateur", "operatore", "operatorem", "opérateur", "operate",
    "konsultant", "vermittlung", "customer care", "customer service", "tong dai vien", "tong dai", "оператор",
    "خدمة العملاء", "总机", "人工", "オペレーター", "상담원", "agent", "representative", "representante",
    "agente", "representive", "opereta", "ooperetaa", "ooperēta", "ooperētā", "أوبريتر", "أوبريتور",
    "اوبريتر", "اوبريتور", "conseiller", "un conseiller", "une conseillere",
)
_ZERO = (
    "zero", "cero", "zéro", "zewo", "null", "ноль", "صفر", "khong", "零", "ゼロ", "영", "sifar", "zero po",
    "0", "0번", "영번", "공번",
)
# fmt: on

# Digits, number words in the scripts that write them as characters, and "number" itself.
_NUMBERS = re.compile(
    r"\d|[一二三四五六七八九十百]|イチ|ニ|サン|ヨン|ゴ|ロク|ナナ|ハチ|キュー|(?<!\w)(number|numero|nummer|numer|nimewo|"
    r"номер|so dien thoai)(?!\w)|رقم|番号|번호|电话"
)

_SELF_WORDS = frozenset((*_SELF, *_PERSONALLY))

# "I pressed zero": zeros said beside pressing are the escape, whatever else the line says.
# fmt: off
_PRESSED = (
    "pressed", "press", "pressing", "hit zero", "dialed", "marque", "marcque", "presione", "oprimi",
    "apuye", "appuye", "tape", "apertei", "premuto", "gedruckt", "nacisnal*", "нажал*", "bam",
    "pinindot", "peze", "押了", "押した", "눌렀",
    # Pressing it over and over, as callers say it ("i keep pushing zero", "ich drücke die null",
    # "ゼロを押してる", "0번 계속 누르고", "zero daba raha", "我一直按零", "أضغط صفر").
    # "Hit" only as the caller's own act: "the temperature is hitting zero" presses nothing.
    "pushing", "pushed", "push", "punching", "i hit", "i keep hitting", "im hitting", "drucke",
    "marcando", "aprete", "apretando", "presionando", "oprimiendo", "appuie", "premendo", "premo",
    "apertando",
    "naciskam", "нажимаю", "pinipindot", "daba", "dabaya", "dabai", "押して", "一直按", "在按", "按了",
    "누르", "눌러", "أضغط", "اضغط", "ضغطت", "بضغط",
)
# fmt: on

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

# Someone sent to the property is a visit, not a person to talk to: "can someone come look at the
# faucet", "i want someone to check the sump pump", "yon moun vin tcheke" (no line in the tuning files
# that says so is a request for a person).
_VISIT = (
    "someone to come", "someone come", "someone out", "somebody out", "someone over", "someone round",
    "someone to look", "someone look", "someone to check", "someone to fix", "someone to inspect",
    "someone to take a look", "somebody to come", "somebody come", "somebody to look", "anyone to come",
    "moun vin", "alguien que venga", "alguien para que venga", "alguien a revisar", "alguien que revise",
    "quelqu un pour venir", "quelquun pour venir", "qualcuno che venga", "alguem para vir",
    "alguem vir", "jemand vorbei*", "ktos przyjdzie", "kogos kto przyjdzie",
    "moun pou repare", "moun pou ranje", "moun pou tcheke", "moun pou penti", "moun pou vin", "moun tcheke",
    "moun ranje", "moun repare",
)  # fmt: skip
# "Then", "alors", "thôi", "那": a request only when someone to talk to follows ("so it's a machine?
# then a person please"); elsewhere they join any two clauses ("every now and then ... can someone").
_THEN = frozenset(
    ("then", "alors", "entonces", "allora", "dann", "тогда", "ebyen", "sige", "thoi", "to phir", "entao",
     "no to", "那", "じゃあ", "그럼", "طيب")
)  # fmt: skip

# Asking for someone after a question about the machine: these with someone right after them.
_GET = (
    "can i get", "can i just get", "can you get", "could you get", "get me", "i just want", "i just need",
    "i want", "i need", "id like", "id rather have", "i would like",
)  # fmt: skip
# The concept of a request that follows a question: decide() keeps it where a bare question is dropped.
AFTER_QUESTION = "a person, after a question"

_INDEX: PhraseIndex[str] = PhraseIndex.build(
    [(p, "request") for p in (*_REQUEST, *_TALK)]
    + [(p, "visit") for p in _VISIT]
    + [(p, "someone") for p in _SOMEONE]
    + [(p, "operator") for p in _OPERATOR]
    + [(p, "zero") for p in _ZERO]
    + [(p, "want") for p in _WANT]
    + [(p, "human_only") for p in _HUMAN_ONLY]
    + [(p, "self") for p in _SELF]
    + [(p, "personally") for p in _PERSONALLY]
    + [(p, "call") for p in _CALL]
    + [(p, "role") for p in _ROLE]
    + [(p, "pressed") for p in _PRESSED]
    + [(p, "get") for p in _GET]
)


def _only_polite(text: str, found: list[tuple[int, int, str]]) -> bool:
    rest = text
    for s, e, kind in found:
        if kind in ("someone", "operator"):
            # Blanked to the same length: overlapping spans ("property manager", "manager") keep
            # their offsets.
            rest = rest[:s] + " " * (e - s) + rest[e:]
    others = rest.replace("?", " ").replace(",", " ").replace(".", " ").split()
    return len(others) <= 4 and all(w in _POLITE for w in others)


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    for s, e in spans:
        text = text[:s] + " " * (e - s) + text[e:]
    return text


def _right_before(between: str) -> bool:
    return len(between.split()) <= 2 and not any(mark in between for mark in ",.?!")


def _near(text: str, a: tuple[int, int], b: tuple[int, int], words: int = 4) -> bool:
    lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    return lo <= hi and len(text[lo:hi].split()) <= words


def _asks_after_question(context: Context, found: list[tuple[int, int, str]]) -> bool:
    """A want said outside a question about the machine, with someone right after it: "is this
    automated? i want a human being on the line", "are you a bot? can i just get the manager"."""
    frames = context.spans["bare_question"]
    if not frames:
        return False
    wants = [
        e
        for s, e, kind in found
        if kind in ("want", "get") and not any(fs <= s and e <= fe for fs, fe in frames)
    ]
    whom = sorted(s for s, _, kind in found if kind in ("someone", "human_only", "role", "operator"))
    return any(
        (at := _next_start(whom, e)) is not None and len(context.text[e:at].split()) <= 3 for e in wants
    )


def _next_start(starts: list[int], end: int) -> int | None:
    """The first of the sorted `starts` at or after `end`: the nearest someone after a word has the
    fewest words between, so it is the only one a "right after" test needs (one look, not a scan)."""
    at = bisect.bisect_left(starts, end)
    return starts[at] if at < len(starts) else None


def detect(context: Context) -> str | None:
    """The concept ("a person", "operator escape") when the line asks for a person, else None."""
    found = _INDEX.find(context.line)
    visits = [(s, e) for s, e, kind in found if kind == "visit"]
    if visits:
        found = [f for f in found if f[2] != "someone" or not any(a <= f[0] and f[1] <= b for a, b in visits)]
    if _asks_after_question(context, found):
        return AFTER_QUESTION
    whom = sorted(s for s, _, kind in found if kind in ("someone", "operator", "human_only"))
    found = [
        (s, e, kind)
        for s, e, kind in found
        if kind != "request"
        or context.text[s:e] not in _THEN
        or ((w := _next_start(whom, e)) is not None and _right_before(context.text[e:w]))
    ]
    kinds = [kind for _, _, kind in found]
    if "request" in kinds and "someone" in kinds:
        return "a person"
    wants = [e for _, e, kind in found if kind == "want"]
    # The person is what is wanted: right after the want ("quiero una persona"), not elsewhere in
    # the line ("¿es un robot o una persona? quiero una cita").
    if any(
        s >= e and len(context.text[e:s].split()) <= 2
        for s, _, kind in found
        if kind == "human_only"
        for e in wants
    ):
        return "a person"
    selves = [(s, e) for s, e, kind in found if kind == "self" or (kind == "personally" and "call" in kinds)]
    who = [
        (s, e) for s, e, kind in found if kind in ("someone", "role") and context.text[s:e] not in _SELF_WORDS
    ]
    # Two different words: "直接" is both someone to reach and "directly".
    if any(e1 <= s2 or e2 <= s1 for s1, e1 in selves for s2, e2 in who):
        return "a person"
    if kinds.count("operator") >= 2:
        return "operator escape"
    if ("someone" in kinds or "operator" in kinds) and _only_polite(context.text, found):
        # The whole line names who to talk to: "human please", "agent", "человека пожалуйста".
        return "a person"
    zeros = [(s, e) for s, e, kind in found if kind == "zero"]
    pressed = [(s, e) for s, e, kind in found if kind == "pressed"]
    # "Zero" said once is the escape when it is the key pressed ("i keep hitting zero", "ゼロを押してる"):
    # the press is next to it, on either side, and no other number is in the line (not "press 1").
    if (
        ((len(zeros) >= 2 and pressed) or any(_near(context.text, z, p) for z in zeros for p in pressed))
        # The press itself is no number either: "一直按" (kept pressing) starts with "one".
        and _NUMBERS.search(_without(context.text, zeros + pressed)) is None
    ):
        return "operator escape"
    if len(zeros) >= 2:
        # The whole line is the escape: little else in it (a number with zeros in it has other digits).
        rest = _without(context.text, zeros)
        others = rest.split()
        if len(others) <= 3 and sum(len(w) for w in others) <= 16 and _NUMBERS.search(rest) is None:
            return "operator escape"
    return None
