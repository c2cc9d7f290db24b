"""Built-in phrase sets for caller-speech detection (emergency, high priority, human request) in
English and Spanish, and the small vocabularies the detector normalizes and judges context with.

Every string here is written naturally (apostrophes, accents, "like" and all) because the detector
runs each one through the same normalization as caller text before compiling it: what is written
here and what a caller says can never drift apart. A table maps the canonical phrase, which is what
a Detection reports as `matched` and is matched itself, to its variants: other wordings and the
speech-to-text misspellings we have seen. Variants are explicit lists on purpose; fuzzy matching
would turn "chess" into "chest" everywhere, and a reviewer can read a list.
"""

from dataclasses import dataclass
from typing import Literal

PhraseTable = dict[str, tuple[str, ...]]
ComboCategory = Literal["emergency", "high_priority", "human_request"]

# fmt: off
# (The tables below stay dense: one item per line would make this file thousands of lines long
# and no easier to review.)

EMERGENCY: dict[str, PhraseTable] = {
    "en": {
        "chest pain": ("chest pains", "chess pain", "chess pains", "chest pressure", "crushing pain"),
        "heart attack": ("hart attack", "heart attach", "heart atack", "heartattack", "cardiac arrest",
                         "my heart stopped", "his heart stopped", "her heart stopped"),
        "can't breathe": ("cant breath", "can barely breathe", "could not breathe", "not breathing",
                          "stopped breathing", "no longer breathing", "barely breathing",
                          "not breathing right", "don't think he's breathing", "don't think she's breathing",
                          "trouble breathing", "difficulty breathing", "hard time breathing",
                          "hard to breathe", "struggling to breathe", "gasping for air", "gasping",
                          "short of breath", "shortness of breath", "can't catch my breath",
                          "can't catch his breath", "can't catch her breath", "turning blue", "asthma attack",
                          "not even breathing", "breathing really fast", "breathing very fast",
                          "rapid breathing", "shallow breathing", "not sure he's breathing",
                          "not sure she's breathing", "not sure if he's breathing",
                          "not sure if she's breathing", "can't tell if he's breathing",
                          "can't tell if she's breathing", "don't know if he's breathing",
                          "don't know if she's breathing"),
        "unconscious": ("unconcious", "unconsious", "unconscience", "not conscious", "passed out", "fainted",
                        "blacked out", "unresponsive", "won't wake up", "not waking up", "can't wake him",
                        "can't wake her", "collapsed", "he's not responding", "she's not responding",
                        "knocked out cold"),
        "severe bleeding": ("heavy bleeding", "bleeding heavily", "bleeding a lot", "bleeding badly",
                            "bleeding really bad", "bleeding so much", "lots of blood", "a lot of blood",
                            "so much blood", "blood everywhere", "gushing blood", "blood is gushing",
                            "won't stop bleeding", "doesn't stop bleeding", "can't stop the bleeding",
                            "can't get the bleeding to stop", "uncontrolled bleeding", "bleeding out",
                            "bleeding nonstop", "keeps bleeding", "vomiting blood", "throwing up blood",
                            "coughing up blood", "spitting up blood"),
        "stroke": ("strok", "having a stroke", "slurred speech", "slurred", "slurring", "face drooping",
                   "drooping face"),
        "seizure": ("siezure", "seisure", "seizures", "seizing", "convulsing", "convulsions", "having a fit",
                    "epileptic fit"),
        "overdose": ("over dose", "overdosed", "overdosing", "took a whole bottle", "took the whole bottle"),
        "suicidal": ("suicide", "want to kill myself", "kill myself", "killing myself", "kill himself",
                     "kill herself", "end my life", "end his life", "end her life", "end it all",
                     "going to end it", "want to end it", "wants to end it", "take my own life",
                     "want to die", "wants to die", "don't want to live", "don't want to be alive",
                     "better off dead", "self harm", "hurting myself", "harm myself", "harm himself",
                     "harm herself", "want to hurt myself", "going to hurt myself", "going to hurt himself",
                     "going to hurt herself", "wants to hurt himself", "wants to hurt herself",
                     "thoughts of hurting", "cutting myself", "cutting herself", "cutting himself"),
        "anaphylaxis": ("anaphylactic", "anaphylaxsis", "anaphalaxis", "severe allergic reaction",
                        "bad allergic reaction", "serious allergic reaction", "having an allergic reaction",
                        "throat is closing", "throat closing", "epipen"),
        "choking": ("choking on", "choked on"),
        "poisoning": ("poisoned", "swallowed poison", "drank bleach", "swallowed bleach", "button battery",
                      "swallowed a battery", "swallowed batteries", "swallowed a magnet", "swallowed magnets",
                      "ingested"),
        "hit by a car": ("hit by car", "hit by a truck", "struck by a car", "hit by a vehicle",
                         "got ran over", "got run over", "was run over", "was ran over", "ran him over",
                         "ran her over", "ran over my dog", "ran over my cat", "run over by"),
        "bloat": ("gdv", "twisted stomach", "stomach twisted", "stomach flipped", "torsion"),
        "can't urinate": ("can't pee", "not peeing", "straining to pee", "straining to urinate",
                          "trying to pee and nothing", "blocked cat"),
        "gas leak": ("gas leaking", "leaking gas", "smell gas", "smells like gas", "smelling gas",
                     "gas smell", "smell of gas", "natural gas smell", "smell propane", "propane leak",
                     "smells like rotten eggs", "rotten egg smell", "rotten eggs smell"),
        "carbon monoxide leak": ("carbon monoxide poisoning", "co poisoning"),
        "there's a fire": ("on fire", "caught fire", "kitchen fire", "house fire", "grease fire",
                 "electrical fire", "a fire in", "fire in the", "in flames", "flames coming", "fire fire"),
        "burning smell": ("smell burning", "smells like burning", "smell something burning",
                          "smells like something burning", "smell of burning", "burning plastic smell",
                          "smells like burning plastic", "outlet is smoking", "outlet smoking",
                          "smoking outlet", "outlet melted", "melted outlet", "outlet is melting",
                          "wires are smoking", "wire is smoking", "panel is smoking"),
        "electrocuted": ("electrocution", "electric shock"),
        "i'm dying": ("think i'm dying", "feel like i'm dying"),
        "breaking in": ("breaking into", "someone is in my house", "intruder"),
        "911": ("call 911", "called 911", "calling 911", "nine one one"),
    },
    "es": {
        "dolor de pecho": ("dolor en el pecho", "dolores de pecho", "me duele el pecho", "le duele el pecho",
                           "opresión en el pecho", "presión en el pecho"),
        "infarto": ("ataque al corazón", "ataque cardiaco", "paro cardiaco", "paro cardiorrespiratorio",
                    "le dio un paro", "infartando"),
        "no puede respirar": ("no puedo respirar", "no respira", "no está respirando", "dejó de respirar",
                              "le cuesta respirar", "me cuesta respirar", "dificultad para respirar",
                              "problemas para respirar", "problema para respirar", "problemas de respiración",
                              "dificultad respiratoria", "me falta el aire", "le falta el aire",
                              "falta de aire", "apenas respira", "se está poniendo morado", "se puso morado",
                              "labios morados", "se está poniendo azul", "respira con dificultad",
                              "ataque de asma", "crisis de asma"),
        "inconsciente": ("inconciente", "inconsiente", "se desmayó", "se desmalló", "desmayado", "desmayada",
                         "desmallado", "desmallada", "se desvaneció", "perdió el conocimiento",
                         "perdió la conciencia", "no reacciona", "no despierta", "no se despierta",
                         "no lo puedo despertar", "no la puedo despertar", "se colapsó", "se desplomó"),
        "sangrado abundante": ("sangra mucho", "sangrando mucho", "mucha sangre", "no para de sangrar",
                               "no deja de sangrar", "no se detiene el sangrado", "no para el sangrado",
                               "hemorragia", "se está desangrando", "sangre por todos lados",
                               "vomitando sangre", "vomita sangre", "vomitó sangre", "tosiendo sangre"),
        "derrame cerebral": ("derrame", "embolia", "accidente cerebrovascular", "ictus",
                             "arrastra las palabras", "arrastrando las palabras", "habla arrastrada",
                             "cara caída", "boca chueca", "cara chueca"),
        "convulsiones": ("convulciones", "combulsiones", "convulsión", "convulsionando", "convulsiona",
                         "convulsionó", "ataque epiléptico", "crisis epiléptica", "le dio un ataque"),
        "sobredosis": ("sobre dosis", "se tomó todas las pastillas", "tomó demasiadas pastillas",
                       "se tomó un frasco", "se tomó todo el frasco"),
        "quiero suicidarme": ("me quiero suicidar", "suicidarme", "suicidarse", "suicida", "quiero matarme",
                              "me quiero matar", "matarme", "quitarme la vida", "quitarse la vida",
                              "no quiero vivir", "quiero morirme", "me quiero morir", "quiero morir",
                              "hacerme daño", "hacerse daño", "hacer daño", "lastimarme"),
        "anafilaxia": ("anafilaxis", "anafilaxsis", "choque anafiláctico", "shock anafiláctico",
                       "reacción alérgica grave", "reacción alérgica fuerte", "reacción alérgica severa",
                       "se le cierra la garganta", "se me cierra la garganta"),
        "se está ahogando": ("se ahoga", "me ahogo", "me estoy ahogando", "atragantado", "atragantada",
                             "se atragantó", "se está atragantando"),
        "envenenado": ("envenenada", "envenenaron", "se envenenó", "envenenamiento", "intoxicado",
                       "intoxicada", "intoxicación"),
        "atropellado": ("atropellada", "atropelló", "atropellaron", "le pegó un carro", "le pegó un coche"),
        "no puede orinar": ("no puede hacer pipí", "no orina", "no hace pipí"),
        "olor a gas": ("huele a gas", "huele gas", "huelo gas", "olemos gas", "fuga de gas", "escape de gas",
                       "se está saliendo el gas", "hay gas", "olor a huevo podrido", "huele a huevo podrido"),
        "incendio": ("se incendió", "se está incendiando", "hay fuego", "hay un fuego", "en llamas",
                     "se prendió fuego", "agarró fuego", "cogió fuego", "se está quemando la casa",
                     "se está quemando la cocina", "se quema la casa", "fuego en la cocina"),
        "hay humo": ("hay llamas", "llamas saliendo", "salen llamas", "sale humo", "está saliendo humo",
                     "lleno de humo", "mucho humo", "humo saliendo",
                 "humo por todas partes", "huele a humo"),
        "olor a quemado": ("huele a quemado", "huele quemado", "cortocircuito", "enchufe derretido",
                           "se derritió el enchufe"),
        "electrocutado": ("electrocutada", "se electrocutó", "le dio una descarga", "descarga eléctrica"),
        "se está muriendo": ("se muere", "me estoy muriendo"),
        "911": ("llamar al 911", "llamé al 911", "llamamos al 911"),
    },
}

HIGH_PRIORITY: dict[str, PhraseTable] = {
    "en": {
        "bleeding": ("bled through",),
        "swelling": ("swollen", "swelled", "swelled up"),
        "abscess": ("abscessed", "abcess", "infected tooth", "pus"),
        "allergic reaction": (),
        "panic attack": ("anxiety attack",),
        "food poisoning": (),
        "head injury": ("hit his head", "hit her head", "hit my head", "bumped his head", "bumped her head"),
        "deep cut": ("needs stitches", "need stitches", "might need stitches"),
        "bad burn": ("burned his", "burned her", "burned my", "burned himself", "burned herself",
                 "scalded"),
        "limping": ("won't put weight", "won't put any weight", "not putting weight",
                    "not putting any weight"),
        "stopped eating": ("refuses to eat", "won't eat or drink"),
        "vomiting repeatedly": ("keeps vomiting", "keeps throwing up", "throwing up all day",
                                "can't keep anything down", "can't keep water down", "can't keep food down"),
        "bloody stool": ("bloody diarrhea", "peeing blood", "pooping blood"),
        "water leak": ("leak", "leaks", "leaking", "dripping from the ceiling", "coming through the ceiling"),
        "flooding": ("flooded", "flood"),
        "sewage backup": ("sewage", "raw sewage"),
        "locked out": ("lockout", "locked myself out", "lost my keys", "can't get into my apartment",
                       "can't get into my house"),
        "break-in": ("broke into", "broken into", "break in", "someone broke in", "got robbed"),
        "broken lock": ("lock is broken", "door won't lock", "door won't close"),
        "urgent": (),
        "power outage": ("power is out", "no electricity"),
    },
    "es": {
        "sangrado": ("sangrando",),
        "hinchazón": ("hinchada", "hinchado", "inflamada", "inflamado", "inflamación", "se hinchó"),
        "absceso": ("muela infectada", "diente infectado", "pus"),
        "reacción alérgica": (),
        "ataque de pánico": ("ataque de ansiedad",),
        "intoxicación alimentaria": (),
        "golpe en la cabeza": ("se pegó en la cabeza", "se golpeó la cabeza", "me pegué en la cabeza"),
        "quemadura": ("se quemó", "me quemé"),
        "cojera": ("no apoya la pata", "está cojeando"),
        "dejó de comer": ("no quiere comer nada",),
        "vómito repetido": ("no para de vomitar", "vomita a cada rato", "sigue vomitando", "vomitando mucho"),
        "fuga de agua": ("fuga", "gotera", "goteando", "se está saliendo el agua",
                         "hay agua por todos lados"),
        "inundación": ("se inundó", "inundado", "inundada", "inundando"),
        "aguas negras": (),
        "me quedé afuera": ("me quedé fuera", "me quedé sin llaves", "perdí mis llaves", "perdí las llaves",
                            "no puedo entrar a mi casa", "no puedo entrar a mi apartamento",
                            "no puedo entrar a mi departamento"),
        "robo": ("entraron a robar", "se metieron a robar", "me robaron"),
        "cerradura rota": ("chapa rota", "chapa está rota", "cerradura está rota", "puerta no cierra",
                           "puerta principal no cierra", "puerta no tiene llave"),
        "urgente": ("urgencia",),
        "sin luz": ("se fue la luz", "no hay luz", "sin electricidad", "no hay electricidad"),
    },
}

HUMAN_REQUEST: dict[str, PhraseTable] = {
    "en": {
        "operator": (),
        "representative": (),
        "real person": ("live person", "actual person", "human being", "real human", "human please",
                        "person please", "agent please", "live agent", "real agent", "human agent"),
        "transfer me": ("transfer this call", "transfer the call", "put me through", "connect me"),
    },
    "es": {
        "operador": ("operadora",),
        "representante": (),
        "persona real": ("ser humano", "una persona por favor", "necesito una persona", "quiero una persona"),
        "transfiérame": ("transfiéreme", "comuníqueme", "comunícame"),
    },
}

# fmt: on


@dataclass(frozen=True, slots=True)
class Combo:
    """Two phrase groups that fire together: `first` then `second` within `max_gap` tokens (either
    order unless `ordered`), within one clause unless `same_clause` is False, and within one
    comma-delimited segment if `same_segment`."""

    canonical: str
    category: ComboCategory
    language: str
    first: tuple[str, ...]
    second: tuple[str, ...]
    max_gap: int
    ordered: bool = False
    same_clause: bool = True
    same_segment: bool = False


# fmt: off
_EN_PETS = ("dog", "dogs", "puppy", "pup", "dane", "danes", "shepherd", "shepherds", "labrador", "retriever",
            "retrievers", "boxer", "poodle", "doberman", "rottweiler")
_ES_PETS = ("perro", "perra", "perrito", "perrita", "cachorro", "cachorra")
_EN_OUT = ("out", "is out", "went out", "been out", "broken", "broke", "died", "quit", "quit working",
           "stopped working", "not working", "dead", "busted", "won't turn on", "won't come on",
           "not turning on", "doesn't turn on")
_ES_OUT = ("no funciona", "se descompuso", "descompuesto", "descompuesta", "no sirve", "no prende",
           "no enciende", "se apagó", "dejó de funcionar")
_EN_HEAT = ("heat", "heat's", "heater", "heating", "furnace", "boiler", "ac", "a/c", "air conditioning",
            "air conditioner", "air", "hvac", "water heater", "hot water", "power", "electricity")
# Not "luz": "la luz del pasillo no funciona" is a bulb; "no hay luz" (power) is its own phrase.
_ES_HEAT = ("calefacción", "calefactor", "calentador", "boiler", "aire", "aire acondicionado", "clima",
            "electricidad", "agua caliente")
# Toxic to pets only: "I ate chocolate" is not a call for help, so first-person forms are excluded.
_EN_PET_TOXINS = ("chocolate", "chocolates", "xylitol", "sugar free gum", "grapes", "raisins", "lilies",
                  "lily", "marijuana", "weed", "edible", "edibles")
_EN_TOXINS = ("antifreeze", "rat poison", "mouse poison", "rodent poison", "rat bait", "poison", "bleach",
              "slug bait", "snail bait")
_EN_INGEST = ("ate", "eaten", "eat", "eats", "eating", "got into", "gotten into", "swallowed", "drank",
              "drink", "drinks", "drinking", "licked", "licking", "chewed", "chewed up", "ingested",
              "consumed")
_EN_OBJECTS = ("pills", "pill", "medication", "medications", "medicine", "meds", "ibuprofen", "advil",
               "tylenol", "acetaminophen", "aspirin", "adderall", "battery", "batteries", "magnet", "magnets",
               "sock", "socks", "string", "tampon", "corn cob", "laundry pod", "tide pod", "detergent pod")
_ES_TOXINS = ("chocolate", "chocolates", "anticongelante", "veneno", "raticida", "veneno para ratas",
              "xilitol", "chicle", "uvas", "pasas", "cloro", "lejía", "lirios", "marihuana")
_ES_OBJECTS = ("pastillas", "pastilla", "medicina", "medicamento", "medicamentos", "ibuprofeno", "pila",
               "pilas", "batería", "imán", "imanes", "calcetín", "hilo", "hilos")
_EN_HUMAN_TARGETS = ("person", "human", "someone", "somebody", "anyone", "anybody", "doctor", "dr", "doc",
                     "nurse", "front desk", "receptionist", "reception", "manager", "office manager",
                     "property manager", "landlord", "super", "superintendent", "vet", "veterinarian",
                     "vet tech", "dentist", "hygienist", "staff", "supervisor", "agent", "operator",
                     "representative", "rep", "owner", "billing", "scheduling", "technician", "tech",
                     "maintenance", "physician", "provider", "pharmacist")
_ES_HUMAN_TARGETS = ("persona", "alguien", "humano", "doctor", "doctora", "médico", "médica", "enfermera",
                     "enfermero", "recepción", "recepcionista", "gerente", "encargado", "encargada",
                     "administrador", "administradora", "administración", "veterinario", "veterinaria",
                     "dentista", "oficina", "secretaria", "dueño", "dueña", "supervisor", "supervisora",
                     "agente", "asesor", "asesora", "operador", "operadora", "representante", "técnico")

COMBOS: tuple[Combo, ...] = (
    # Emergencies said in pieces: "my chest, it really hurts", "pain in my chest".
    Combo("chest pain", "emergency", "en", ("chest", "chess"),
          ("pain", "pains", "hurts", "hurt", "hurting", "pressure", "tightness", "tight", "heavy",
           "heaviness", "squeezing", "crushing", "aching", "ache", "clutching", "grabbing", "holding"), 3),
    # Spanish puts modifiers between: "un dolor muy fuerte en el pecho".
    Combo("dolor de pecho", "emergency", "es", ("pecho",),
          ("dolor", "duele", "doliendo", "presión", "opresión", "apretado", "aprieta"), 5),
    Combo("severe bleeding", "emergency", "en", ("blood", "bleeding"),
          ("gushing", "pouring", "spurting", "squirting", "everywhere", "won't stop"), 3),
    Combo("sangrado abundante", "emergency", "es", ("sangre", "sangrando", "sangrado", "sangra"),
          ("a chorros", "chorreando", "por todos lados", "por todas partes", "no para", "mucho", "muchísimo",
           "demasiado", "bastante"), 3),
    Combo("lips turning blue", "emergency", "en", ("lips", "lip", "face", "skin"),
          ("blue", "gray", "grey", "purple", "turning blue"), 2),
    Combo("labios morados", "emergency", "es", ("labios", "cara", "piel"),
          ("morados", "morada", "azules", "grises"), 2),
    Combo("gas leak", "emergency", "en", ("smell", "smells", "smelling", "smelled", "whiff"),
          ("gas", "propane", "rotten eggs"), 3, ordered=True),
    Combo("olor a gas", "emergency", "es", ("olor", "huele", "huelo", "olemos", "oliendo", "oler"),
          ("gas", "huevo podrido"), 3, ordered=True),
    Combo("incendio", "emergency", "es", ("se está quemando", "se quema", "se quemó", "está en llamas"),
          ("casa", "edificio", "cocina", "cuarto", "departamento", "apartamento", "garaje", "sótano"), 3),
    # Across clauses on purpose: "it's not just a little bleeding, it won't stop".
    Combo("bleeding that won't stop", "emergency", "en", ("bleeding", "blood", "bleed"),
          ("won't stop", "doesn't stop", "isn't stopping", "not stopping", "can't stop", "keeps going",
           "won't quit"), 10, ordered=True, same_clause=False),
    Combo("face drooping", "emergency", "en", ("face", "mouth", "smile", "lip"),
          ("drooping", "droopy", "sagging", "crooked"), 3),
    Combo("cara caída", "emergency", "es", ("cara", "boca"),
          ("caída", "chueca", "torcida", "colgando", "se le cae", "se le cayó", "paralizada", "dormida"), 3),
    Combo("throat closing", "emergency", "en", ("throat", "tongue", "airway"),
          ("closing", "closed", "tightening", "tight", "swelling", "swelled"), 2, ordered=True),
    Combo("se cierra la garganta", "emergency", "es", ("garganta", "lengua"),
          ("cierra", "cerrando", "cerrada", "hinchando", "hincha", "hinchó", "hinchada", "apretada", "atoró",
           "atorado", "atorada"), 3),
    # Dental: swelling that reaches the eye or the airway is an emergency, not plain "swelling".
    Combo("swelling near the eye or airway", "emergency", "en", ("swelling", "swollen", "swelled", "puffy"),
          ("eye", "eyes", "eyelid", "swallow", "swallowing", "breathe", "breathing", "neck"), 10),
    Combo("hinchazón cerca del ojo o la garganta", "emergency", "es",
          ("hinchazón", "hinchada", "hinchado", "inflamada", "inflamado", "se hinchó"),
          ("ojo", "ojos", "párpado", "tragar", "respirar", "cuello"), 10),
    Combo("ate something toxic", "emergency", "en", _EN_INGEST, _EN_PET_TOXINS, 8, same_clause=False),
    Combo("ate something toxic", "emergency", "en", (*_EN_INGEST, "i ate", "we ate", "i drank", "i eat"),
          _EN_TOXINS, 8, same_clause=False),
    # Medicines only with a swallowing verb and in that order, so "should I eat before my meds" is fine.
    Combo("swallowed medicine or an object", "emergency", "en",
          ("ate", "i ate", "swallowed", "got into", "gotten into", "chewed", "chewed up",
           "ingested"), _EN_OBJECTS, 4,
          ordered=True),
    Combo("comió algo tóxico", "emergency", "es",
          ("comió", "se comió", "comiendo", "come", "comer", "tragó", "se tragó", "bebió", "se bebió", "tomó",
           "lamió", "mordió", "masticó", "ingirió"), _ES_TOXINS, 8, same_clause=False),
    # "se tomó" (someone else took them) but not "tomo" ("yo tomo pastillas para la presión").
    Combo("se tragó un medicamento o un objeto", "emergency", "es",
          ("comió", "se comió", "tragó", "se tragó", "se tomó", "mordió", "masticó",
           "ingirió"), _ES_OBJECTS, 4,
          ordered=True),
    Combo("took too many pills", "emergency", "en", ("took too many", "took too much", "took a bunch of"),
          ("pills", "medication", "medicine", "meds", "tylenol", "insulin",
           "sleeping pills"), 3, ordered=True),
    Combo("bloat", "emergency", "en",
          ("bloat", "bloated", "distended", "stomach is swollen", "belly is swollen", "stomach is hard",
           "belly is hard", "swollen belly", "swollen stomach", "hard belly", "hard stomach"),
          _EN_PETS, 8, same_clause=False),
    Combo("estómago hinchado", "emergency", "es",
          ("estómago hinchado", "panza hinchada", "barriga hinchada", "abdomen hinchado",
           "estómago inflamado", "panza inflamada", "torsión de estómago",
           "torsión gástrica"), _ES_PETS, 8, same_clause=False),
    Combo("smoke", "emergency", "en", ("smoke",),
          ("coming", "pouring", "everywhere", "filling", "billowing", "full of", "smell", "smelling", "see",
           "seeing", "out of", "filled with"), 3),
    Combo("alarm going off", "emergency", "en",
          ("smoke alarm", "smoke alarms", "smoke detector", "smoke detectors", "fire alarm", "fire alarms",
           "carbon monoxide", "co alarm", "co detector", "co detectors", "monoxide"),
          ("going off", "goes off", "went off", "beeping", "sounding", "ringing",
           "blaring"), 3, ordered=True),
    Combo("alarma sonando", "emergency", "es",
          ("alarma de humo", "detector de humo", "alarma de incendio", "monóxido de carbono",
           "alarma de monóxido", "detector de monóxido"), ("sonando", "suena", "sonó", "pitando", "se activó",
           "se disparó"), 4),
    Combo("sparks", "emergency", "en", ("sparks", "sparking", "sparked", "spark", "arcing"),
          ("outlet", "outlets", "plug", "socket", "wire", "wires", "wiring", "panel", "breaker", "breakers",
           "switch", "meter", "fuse box", "electrical", "cord", "flying", "coming out"), 4),
    Combo("chispas", "emergency", "es", ("chispas", "chispazos", "chispea", "chispeando"),
          ("enchufe", "enchufes", "contacto", "contactos", "tomacorriente", "toma", "cable", "cables",
           "panel", "breaker", "caja", "interruptor", "apagador", "medidor"), 4),
    Combo("water near the electrical panel", "emergency", "en",
          ("water", "flooding", "flooded", "flood", "leak", "leaking", "burst pipe", "pipe burst", "pouring",
           "dripping"),
          ("electrical panel", "electric panel", "breaker box", "breaker panel", "fuse box", "breakers",
           "outlet", "outlets", "wiring", "electrical", "electric meter", "light fixture"), 6),
    Combo("agua en el panel eléctrico", "emergency", "es",
          ("agua", "inundación", "inundando", "inundado", "inundada", "fuga", "gotera", "goteando"),
          ("panel eléctrico", "caja de breakers", "caja de fusibles", "breakers", "enchufe", "enchufes",
           "contactos", "cables", "tomacorriente", "medidor", "lámpara"), 6),
    Combo("someone is dying", "emergency", "en",
          ("he's", "she's", "dog", "cat", "puppy", "kitten", "husband", "wife", "mom", "dad", "mother",
           "father", "son", "daughter", "baby", "grandma", "grandpa", "brother", "sister", "patient"),
          ("dying", "going to die", "gonna die", "about to die"), 2, ordered=True),
    # "Emergency" fires only as something the caller has, never as a modifier ("emergency visit"):
    # see IDIOMS. "Emergencies" (plural) is always a question about services.
    Combo("it's an emergency", "emergency", "en",
          ("it's", "this is", "is", "have", "having", "got", "there's", "we have",
           "kind of"), ("emergency",), 2,
          ordered=True),
    Combo("es una emergencia", "emergency", "es",
          ("es", "tengo", "tenemos", "hay", "esto es", "se trata de",
           "tiene"), ("emergencia",), 2, ordered=True),
    # High priority said in pieces.
    Combo("severe pain", "high_priority", "en",
          ("severe", "excruciating", "unbearable", "terrible", "horrible", "extreme", "intense", "awful",
           "worst", "really bad", "so much", "a lot of", "lots of"),
          ("pain", "pains", "toothache", "headache", "ache"), 4),
    Combo("dolor fuerte", "high_priority", "es",
          ("fuerte", "muy fuerte", "insoportable", "terrible", "horrible", "intenso", "severo", "mucho",
           "muchísimo"), ("dolor",), 4),
    Combo("me duele mucho", "high_priority", "es", ("duele", "duelen"), ("mucho",
          "muchísimo"), 2, ordered=True),
    Combo("high fever", "high_priority", "en", ("fever",), ("high", "really high", "very high", "spiking",
          "#"), 2),
    Combo("fiebre alta", "high_priority", "es", ("fiebre", "calentura"), ("alta", "mucha", "muy alta",
          "#"), 2),
    Combo("broken tooth", "high_priority", "en",
          ("broke", "broken", "cracked", "chipped", "snapped", "fractured", "split", "knocked out",
           "knocked"),
          ("tooth", "teeth", "molar"), 3),
    Combo("diente roto", "high_priority", "es",
          ("roto", "rota", "rompí", "rompió", "quebré", "quebró", "quebrado", "quebrada", "partido", "partí",
           "partió", "tumbaron", "tumbó", "tumbé"), ("diente", "dientes", "muela", "muelas"), 3),
    Combo("vomiting repeatedly", "high_priority", "en",
          ("vomiting", "vomited", "throwing up", "threw up", "vomit"),
          ("repeatedly", "all day", "all night", "nonstop", "# times", "several times", "multiple times",
           "over and over", "keeps", "keep", "since"), 3),
    Combo("vómito repetido", "high_priority", "es", ("vomitando", "vomita", "vomitó", "vomitado"),
          ("mucho", "cada rato", "sin parar", "# veces", "varias veces", "sigue", "desde"), 3),
    Combo("not eating", "high_priority", "en",
          ("not eating", "won't eat", "not eaten", "hasn't eaten", "no appetite", "not eat"),
          ("days", "day", "# days", "since", "anything", "at all", "all day", "food", "yesterday"), 4),
    Combo("no come", "high_priority", "es", ("no come", "no quiere comer", "no ha comido",
          "no ha querido comer"),
          ("días", "día", "desde", "nada"), 4),
    Combo("bloody stool", "high_priority", "en", ("blood", "bloody"),
          ("stool", "stools", "poop", "diarrhea", "urine", "pee", "feces"), 3, ordered=True),
    Combo("sangre en las heces", "high_priority", "es", ("sangre",),
          ("diarrea", "heces", "popó", "orina", "caca", "pipí"), 2),
    Combo("no heat", "high_priority", "en",
          ("no", "without", "don't have", "doesn't have", "didn't have", "haven't had", "we have no"),
          ("heat", "heating", "hot water", "power", "electricity", "ac", "a/c", "air conditioning"), 1,
          ordered=True, same_segment=True),
    Combo("sin calefacción", "high_priority", "es",
          ("no hay", "no tenemos", "no tengo", "no tiene", "sin"),
          ("calefacción", "agua caliente", "luz", "electricidad", "aire",
           "aire acondicionado"), 1, ordered=True,
          same_segment=True),
    Combo("heat or AC out", "high_priority", "en", _EN_HEAT, _EN_OUT, 4),
    Combo("calefacción o aire descompuesto", "high_priority", "es", _ES_HEAT, _ES_OUT, 4),
    Combo("burst pipe", "high_priority", "en",
          ("burst", "bursted", "busted", "broke", "broken", "cracked", "froze", "frozen", "exploded"),
          ("pipe", "pipes", "water line", "water main"), 2),
    Combo("tubería rota", "high_priority", "es",
          ("reventó", "rompió", "roto", "rota", "estalló", "congeló", "congelada", "congelado"),
          ("tubo", "tubería", "cañería", "pipa", "tubos", "tuberías"), 3),
    Combo("sewage backup", "high_priority", "en", ("sewage", "sewer", "toilet", "toilets"),
          ("backing up", "backed up", "overflowing", "overflowed", "coming up"), 3, ordered=True),
    Combo("aguas negras", "high_priority", "es",
          ("drenaje", "desagüe", "cloaca", "inodoro", "escusado", "taza del baño"),
          ("regresando", "se regresa", "desbordando", "se desborda", "se desbordó", "rebalsando"), 3),
    # Human requests: a verb of asking for someone, then who.
    Combo("talk to a person", "human_request", "en",
          ("talk to", "talk with", "speak to", "speak with", "transfer me to", "connect me to",
           "connect me with", "put me through to", "put me on with", "get me through to", "pass me to"),
          _EN_HUMAN_TARGETS, 3, ordered=True),
    Combo("talk to a person", "human_request", "en",
          ("want", "need", "get me", "give me", "i'd like", "i would like"),
          ("human", "humans", "real person", "live person", "human being", "operator", "representative",
           "live agent", "real agent", "actual person"), 2, ordered=True),
    Combo("talk to a person", "human_request", "en", ("get me", "give me", "find me"),
          ("someone", "somebody", "a person", "a human", "the doctor", "the nurse", "the manager",
           "a manager"), 2,
          ordered=True),
    Combo("someone I can talk to", "human_request", "en", _EN_HUMAN_TARGETS,
          ("i can talk to", "i can speak to", "i can speak with", "i could talk to", "i could speak to",
           "i could speak with", "i can talk with"), 1, ordered=True),
    Combo("hablar con una persona", "human_request", "es",
          ("hablar con", "comunicarme con", "comunicar con", "comunica con", "comunique con",
           "comuníqueme con", "comunícame con", "pásame con", "páseme con", "pasar con", "pase con",
           "pasa con", "transferir con", "transfiera con", "transfiéreme con", "transfiérame con",
           "transferir a", "transfiera a", "transfiéreme a", "transfiérame a", "conectar con",
           "conécteme con"),
          _ES_HUMAN_TARGETS, 2, ordered=True),
    Combo("hablar con una persona", "human_request", "es",
          ("quiero", "necesito", "deme", "dame", "páseme", "pásame"),
          ("humano", "persona real", "operador", "operadora", "representante",
           "ser humano"), 2, ordered=True),
    Combo("alguien con quien hablar", "human_request", "es", _ES_HUMAN_TARGETS,
          ("con quien hablar", "con quien pueda hablar", "con quien puedo hablar"), 1, ordered=True),
)

_EMERGENCY_AS_MODIFIER = (
    "visit", "visits", "appointment", "appointments", "exam", "exams", "extraction", "extractions", "fee",
    "fees", "charge", "charges", "rate", "rates", "service", "services", "call", "calls", "line", "number",
    "hours", "slot", "slots", "plumber", "plumbers", "plumbing", "electrician", "vet", "vets", "dentist",
    "clinic", "room", "care", "contact", "contacts", "kit", "fund", "repair", "repairs", "consult",
    "consultation", "pricing", "price", "prices", "cost", "costs", "availability", "coverage", "policy",
    "procedure", "procedures", "treatment", "department", "team", "crew", "plan", "surcharge", "exit",
    "brake", "drill", "dental", "medicine", "pay", "pet", "on call", "after hours",
)

# Word sequences that contain a phrase but mean something else. A match that overlaps one of these
# without covering all of it is dropped: "dying to know" kills "dying", while the alarm combo's
# "alarma de incendio" (which covers the idiom) survives.
IDIOMS: tuple[str, ...] = (
    "dying to", "dying for", "dying of", "dying here", "dying laughing", "to die for", "die of", "die if",
    "almost had a heart attack", "nearly had a heart attack", "gave me a heart attack",
    "give me a heart attack", "giving me a heart attack", "almost gave me a heart attack", "bleeding money",
    "bleeding cash", "bleeding heart", "bleeding edge", "choking hazard", "stroke of luck",
    "stroke of genius", "stroke of midnight", "stroke survivor", "stroke rehab", "stroke recovery",
    "stroke patient", "stroke patients", "heart attack patient", "heart attack patients",
    "heart attack survivor", "heart attack survivors", "heart attack risk", "seizure patients",
    "seizure medication", "seizure meds", "seizure medicine", "seizure disorder", "seizure dog", "seizure of",
    "asset seizure", "property seizure", "fire drill", "fire alarm", "fire alarms", "fire extinguisher",
    "fire extinguishers", "fire inspection", "fire pit", "fire escape", "fire insurance", "fire code",
    "fire door", "cigarette smoke", "cigar smoke", "weed smoke", "smoke free", "smoke alarm", "smoke alarms",
    "smoke detector", "smoke detectors", "blood and urine", "out of warranty", "tour operator",
    "smooth operator", "machine operator", "forklift operator", "equipment operator", "stop hurting",
    "stop aching", "stop crying", "stop barking", "stop itching", "stop scratching", "stop meowing",
    "stop ringing", "stop running", "stop dripping", "drowning in", "i ate", "we ate", "i eat", "i drank",
    "responding to the medication", "responding to medication", "responding to treatment",
    "responding to the treatment", "responding to antibiotics", "responding to the antibiotics",
    "responding to my emails", "responding to my texts", "responding to my messages",
    "responding to my calls", "in case of an emergency", "in case of emergency",
    "in case there's an emergency", "if there's an emergency", "if it's an emergency",
    "if i have an emergency", "if we have an emergency", "what counts as an emergency",
    "is it an emergency if", "what is an emergency", "breaking in new", "breaking in my new",
    "breaking in the new", "gas line", "gas bill", "gas stove", "gas station", "me muero de", "muero de",
    "muriendo de", "muere de", "morir de", "morirme de", "va a matarme", "van a matarme",
    "casi me da un infarto", "casi me dio un infarto", "me va a dar un infarto", "me van a dar un infarto",
    "de emergencia", "de emergencias", "en caso de emergencia", "si hay una emergencia",
    "si es una emergencia", "si tengo una emergencia", "alarma de incendio", "alarmas de incendio",
    "seguro contra incendio", "seguro contra incendios", "simulacro de incendio", "salida de incendio",
    "extintor de incendios", "derrame de agua", "derrame de aceite", "derrame de gasolina",
    "derrame de líquido", "ahogado en deudas", "ahogando en deudas", "ahogado en trabajo",
    "ahogando en trabajo", "de vergüenza", "echando chispas porque", "urgent care", "línea de gas",
    "estufa de gas", "recibo de gas",
    *(f"emergency {noun}" for noun in _EMERGENCY_AS_MODIFIER),
)

# Dropped before matching, with the commas around them, so "chest, um, pain" is "chest pain".
FILLERS: tuple[str, ...] = (
    "um", "umm", "ummm", "uh", "uhh", "uhm", "uhhh", "er", "erm", "hmm", "hm", "mm", "mmm", "ah", "ahh", "eh",
    "ehh", "like", "you know", "este", "pues", "o sea", "em", "emm",
)

# One spoken or mistyped token to its canonical token(s), applied before everything else. Negative
# contractions are expanded so "not" is always its own token and a negation cue.
TOKEN_ALIASES: dict[str, str] = {
    "breath": "breathe", "breth": "breathe", "breathin": "breathing", "breating": "breathing",
    "brething": "breathing", "cannot": "can not", "cant": "can not", "wont": "will not", "dont": "do not",
    "doesnt": "does not", "didnt": "did not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
    "werent": "were not", "hasnt": "has not", "havent": "have not", "hadnt": "had not",
    "couldnt": "could not", "wouldnt": "would not", "shouldnt": "should not", "aint": "is not",
    "gonna": "going to", "wanna": "want to", "unconcious": "unconscious", "unconsious": "unconscious",
    "uncontious": "unconscious", "siezure": "seizure", "seisure": "seizure", "seazure": "seizure",
    "sezure": "seizure", "seizur": "seizure", "siezures": "seizures", "seisures": "seizures",
    "siezing": "seizing", "seising": "seizing", "strok": "stroke", "stroak": "stroke", "droopy": "drooping",
    "drooped": "drooping", "droops": "drooping", "overdosed": "overdose", "overdosing": "overdose",
    "urgently": "urgent", "inconciente": "inconsciente", "inconsiente": "inconsciente", "desmallo": "desmayo",
    "convulciones": "convulsiones", "combulsiones": "convulsiones", "puked": "vomited", "puking": "vomiting",
}

# Counts spoken as words, read as "#" like digits so "threw up five times" is "threw up # times".
NUMBER_WORDS: frozenset[str] = frozenset(
    {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
     "twenty", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "doce", "quince",
     "veinte"}
)

# Two tokens that speakers contract or speech-to-text splits, merged into the one token we compile.
PAIR_REWRITES: dict[tuple[str, str], str] = {
    ("i", "am"): "im", ("he", "is"): "hes", ("she", "is"): "shes", ("it", "is"): "its", ("there",
     "is"): "theres",
    ("that", "is"): "thats", ("sobre", "dosis"): "sobredosis", ("over", "dose"): "overdose",
    ("epi", "pen"): "epipen", ("non", "stop"): "nonstop",
}

# Clause boundaries besides sentence punctuation: negation and history never reach across them.
# "now"/"ahora" split history from the present: "had a stroke last year and now his face droops".
CLAUSE_BREAKS: frozenset[str] = frozenset(
    {"but", "however", "although", "though", "now", "pero", "aunque", "sino", "ahora", "except"}
)

NEGATION_CUES: frozenset[str] = frozenset(
    {"no", "not", "never", "without", "denies", "denied", "nor", "neither", "sin", "nunca", "tampoco", "ni",
     "jamas", "niega", "stopped", "nothing", "nothings"}
)

# "not just a little bleeding" and "no solo" intensify rather than negate.
NOT_A_NEGATION_AFTER: frozenset[str] = frozenset({"just", "only", "solo", "solamente", "nomas", "simply"})

# Words allowed between a negation cue and the phrase it governs: "doesn't have any chest pain",
# "no tengo dolor de pecho". Anything else ("not sure if it's chest pain") breaks the link, and so
# do pronouns: "no he has chest pain" is an answer followed by a report.
NEGATION_GAP: frozenset[str] = frozenset(
    {"have", "has", "had", "having", "any", "feel", "feeling", "felt", "notice", "noticed", "see", "seeing",
     "seen", "seem", "seems", "to", "be", "been", "being", "get", "getting", "got", "experience",
     "experiencing", "experienced", "a", "an", "the", "some", "more", "longer", "really", "much", "currently",
     "actually", "report", "reporting", "need", "needs", "want", "show", "showing", "signs", "of", "appear",
     "appears", "tengo", "tiene", "tienes", "tenemos", "tienen", "tenia", "hay", "habia", "ha", "han",
     "tenido", "presenta", "presento", "siento", "siente", "sentia", "sentido", "le", "me", "se", "nos", "te",
     "lo", "la", "los", "las", "el", "un", "una", "unos", "ningun", "ninguna", "ninguno", "nada", "de", "mas",
     "ya", "es", "era", "esta", "estoy", "estaba", "quiero", "necesito", "veo", "ve", "parece", "signos",
     "senales"}
)
NEGATION_MAX_GAP = 3

# A symptom that went away is no longer urgent. Only high priority is cancelled this way, because
# "the chest pain went away" still deserves a person.
RESOLVED_AFTER: tuple[str, ...] = (
    "went down", "gone down", "went away", "is gone", "has stopped", "stopped", "is better", "got better",
    "resolved", "is fixed", "ya bajó", "bajó", "se quitó", "paró", "ya paró", "desapareció", "se arregló",
)

HISTORY_PREFIXES: tuple[str, ...] = (
    "history of", "used to have", "used to get", "diagnosed with", "antecedentes de", "historial de",
    "historia de",
)

PAST_VERBS: frozenset[str] = frozenset(
    {"had", "suffered", "got", "was", "were", "tuvo", "tuve", "tuvimos", "tuvieron", "sufrio", "sufri", "dio",
     "tenido", "fue"}
)

_ES_QUANT = ("#", "un", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
             "muchos", "muchas", "varios", "varias", "unos", "unas", "algunos", "más de")

# Past-time cues. Minutes, hours and days are deliberately absent: "passed out an hour ago" is now.
# Bare "hace mucho" is absent too: "hace mucho frío" is the weather.
HISTORY_TIMES: tuple[str, ...] = (
    "years ago", "year ago", "months ago", "month ago", "weeks ago", "a while ago", "long time ago",
    "last year", "last month", "in the past", "years back", "in #year", "back in #year", "when i was a kid",
    "when he was a puppy", "when she was a puppy", "when he was a kid", "when she was a kid", "as a kid",
    "as a child", "as a baby", "el año pasado", "el mes pasado", "en el pasado", "hace tiempo",
    "hace mucho tiempo", "hace años", "hace meses", "de niño", "de niña", "cuando era niño",
    "cuando era niña", "cuando era chico", "cuando era chica", "cuando era cachorro", "en #year",
    *(f"hace {q} {unit}" for q in _ES_QUANT for unit in ("año", "años", "mes", "meses", "semanas")),
)
# fmt: on
