# ruff: noqa: RUF001 -- Cyrillic letters here are Russian words, not look-alikes of Latin ones
"""Concept phrases in the sixteen languages, written folded (lowercase, no Latin accents, no
apostrophes) as app.safety.detect.text.fold() leaves caller text. Syntax, compiled by lexicon.py:
words separated by spaces match whole words; `word*` matches any word starting so (inflections);
`~` allows up to three words in between; a phrase in Han, kana or Hangul matches as a substring
(those scripts write no spaces, and Korean particles attach to the word).

Concepts are what happens, not how a caller names it; each concept lists all languages at once,
because a caller may switch languages mid-line. Emergencies first, recall first.
"""

# fmt: off
EMERGENCY: dict[str, tuple[str, ...]] = {
    "not breathing": (
        # fr pt it de pl ht tl vi ru ar hi
        "respire pas", "respire plus", "ne respire", "arrive pas a respirer", "peut pas respirer", "etouffe*",
        "du mal a respirer", "nao respira", "nao consegue respirar", "nao ta respirando",
        "nao esta respirando",
        "parou de respirar", "falta de ar", "non respira", "non riesce a respirare", "smesso di respirare",
        "respira male", "fa fatica a respirare", "atmet nicht", "atmet kaum", "keine luft",
        "bekommt keine luft",
        "kriegt keine luft", "atemnot", "hort auf zu atmen", "nie oddycha", "nie moze oddychac",
        "przestal oddychac",
        "przestala oddychac", "dusi sie", "brak tchu", "pa ka respire", "pa respire", "li pa respire",
        "souf kout",
        "hindi makahinga", "hindi humihinga", "hindi na ~ humihinga", "di makahinga", "hirap huminga",
        "nahihirapan huminga",
        "khong tho",
        "ngung tho", "kho tho", "tho khong duoc", "ngat tho", "не дыш*", "перестал дышать",
        "перестала дышать",
        "задыха*", "не может дышать", "трудно дышать", "لا يتنفس", "لا تتنفس", "ما يتنفس", "ما تتنفس",
        "توقف عن التنفس", "ضيق تنفس", "ضيق في التنفس", "صعوبة في التنفس", "ما يقدر يتنفس", "مش قادر يتنفس",
        "saans nahi", "saans nahin", "saans nhi", "saans lene mein", "saans ruk", "saans phool", "dam ghut",
        # zh ja ko
        "不能呼吸", "没有呼吸", "沒有呼吸", "没呼吸", "沒呼吸", "喘不过气", "喘不過氣", "呼吸困难",
        "呼吸困難", "停止呼吸",
        "透不过气", "息をしていない", "息してない", "息ができない", "息が苦しい", "呼吸が止ま",
        "呼吸してない",
        "숨을 안 쉬", "숨을 못 쉬", "숨을 안쉬", "숨을 못쉬", "숨이 막", "숨을 쉬지", "숨 안 쉬",
        "숨 못 쉬", "호흡곤란", "숨이 안",
    ),
    "unconscious": (
        "inconscient*", "evanoui*", "sest effondre*", "perdu connaissance", "reveille pas", "repond pas",
        "desmai*", "inconsciente", "nao acorda", "nao responde", "apagou", "desmaiou", "perdeu os sentidos",
        "svenut*", "incosciente", "non si sveglia", "non risponde", "privo di sensi", "bewusstlos*",
        "ohnmacht*", "ohnmachtig", "wacht nicht auf", "reagiert nicht", "zusammengebrochen", "nieprzytomn*",
        "zemdlal*", "nie reaguje", "nie budzi sie", "stracil przytomnosc", "stracila przytomnosc",
        "pedi konesans",
        "endeyo", "li pa reponn", "li pa leve", "tonbe san konesans", "nawalan ng malay", "walang malay",
        "hinimatay", "hindi magising", "hindi sumasagot", "ngat xiu", "bat tinh", "khong tinh",
        "lay khong tinh",
        "goi khong day", "bi xiu", "khong tra loi", "без сознания", "потерял сознание", "потеряла сознание",
        "не просыпается", "не реагирует", "упал в обморок", "упала в обморок", "فاقد الوعي", "فقد الوعي",
        "فاقدة الوعي", "مغمى عليه", "مغمى عليها", "اغمي عليه", "أغمي عليه", "ما يصحى", "ما يرد", "لا يستجيب",
        "behosh", "hosh nahi", "hosh nahin", "utth nahi", "jawab nahi de", "ग्रस्त",
        "昏迷", "晕倒", "暈倒", "昏倒", "叫不醒", "没有反应", "沒有反應", "不省人事", "意識がない",
        "意識が無い",
        "気を失", "倒れて", "反応がない", "起きない", "의식이 없", "의식을 잃", "기절", "쓰러졌",
        "깨어나지", "반응이 없",
    ),
    "chest pain": (
        "douleur* ~ poitrine", "mal a la poitrine", "serre* ~ poitrine", "dor no peito", "aperto no peito",
        "dolore al petto", "dolore ~ petto", "brustschmerz*", "schmerzen in der brust", "druck auf der brust",
        "bol w klatce", "bol ~ klatce", "doule nan pwatrin", "pwatrin ~ fe m mal", "masakit ang dibdib",
        "sakit sa dibdib", "sumasakit ang dibdib", "dau nguc", "nguc ~ dau", "tuc nguc", "боль в груди",
        "болит ~ груд*", "давит ~ груд*", "ألم في الصدر", "الم في الصدر", "وجع في الصدر", "صدري يوجعني",
        "seene mein dard", "chest mein dard", "छाती", "胸口痛", "胸痛", "胸口疼", "胸が痛", "胸の痛み",
        "가슴이 아", "가슴 통증", "가슴이 조", "infarto", "herzinfarkt", "crise cardiaque", "ataque cardiaco",
        "ataque do coracao", "zawal", "atak serca", "атака сердца", "инфаркт", "نوبة قلبية",
        "心脏病发作", "心臟病發作", "心肌梗塞", "心筋梗塞", "심장마비", "atake sa puso", "dot quy tim",
        "nhoi mau co tim",
        "kriz kadyak", "arret cardiaque", "parada cardiaca", "arresto cardiaco", "herzstillstand",
        "zatrzymanie akcji serca", "ngung tim", "остановка сердца", "心脏骤停", "心停止", "심정지",
    ),
    "stroke": (
        "avc", "bouche de travers", "visage ~ affaisse", "derrame", "boca torta", "ictus", "bocca storta",
        "schlaganfall", "mund ~ schief", "hangt herunter", "udar", "usta ~ krzywe", "stwok",
        "bouch li ~ kwochi",
        "na stroke", "dot quy", "meo mieng", "mieng meo", "noi ngong", "инсульт", "перекос*",
        "جلطة دماغية", "سكتة دماغية", "فمه مائل", "लकवा", "lakwa", "chehra tedha", "muh tedha", "中风",
        "中風",
        "脳卒中", "ろれつが回", "뇌졸중", "입이 돌아", "mo ~ kroche", "falando enrolado",
        "parla in modo strano",
        "spricht verwaschen", "beve* ~ mow*", "belkocze",
    ),
    "seizure": (
        "convuls*", "crise* d epilepsie", "convulsao", "convulsoes", "tremendo e babando", "convulsion*",
        "krampfanfall", "krampft", "atak padaczki", "drgawki", "drgawek", "kriz", "malkadi", "nangingisay",
        "kumbulsyon", "co giat", "судорог*", "припадок", "نوبة صرع", "تشنج*", "دورة صرع", "daura", "mirgi",
        "抽搐", "抽筋不止", "癫痫", "癲癇", "けいれん", "痙攣", "발작", "경련",
    ),
    "severe bleeding": (
        "saigne* beaucoup", "saigne* ~ arrete pas", "beaucoup de sang", "sangra* muito", "muito sangue",
        "sangue ~ nao para", "sanguina* molto", "tanto sangue", "non smette di sanguinare", "blutet stark",
        "blutet ~ hort nicht auf", "viel blut", "krwawi* mocno", "duzo krwi", "krew ~ nie przestaje",
        "anpil san",
        "senyen anpil", "san ~ pa sispann", "maraming dugo", "dumudugo nang husto", "ayaw tumigil ang dugo",
        "chay mau ~ khong cam", "chay mau nhieu", "mau chay hoai", "mat nhieu mau", "сильное кровотечение",
        "много крови", "кровь ~ не останавливается", "نزيف", "ينزف", "تنزف", "دم كثير", "bahut khoon",
        "khoon ~ ruk nahi", "khoon beh", "大出血", "血流不止", "流很多血", "血が止まらない", "大量の血",
        "피가 많이", "피가 안 멈", "피가 멈추지", "출혈이 심", "vomissement* de sang", "vomi* du sang",
        "vomitando sangue", "vomita sangue", "erbricht blut", "wymiotuje krwia", "вырв* кровью",
        "рвота с кровью",
        "يتقيأ دم", "khoon ki ulti", "吐血", "血を吐", "피를 토",
    ),
    "overdose or poison": (
        "surdose", "overdose", "tout le flacon", "toute la boite", "a avale", "avale* ~ medicament*",
        "tomou todos os comprimidos", "tomou a cartela", "envenen*", "overdose", "ha preso tutte le pillole",
        "avvelenat*", "uberdosis", "alle tabletten", "vergift*", "przedawkowa*", "cale opakowanie",
        "zatru*", "pwazon", "bwe ~ klorox", "sobredosis", "nalason", "ininom lahat", "uong het", "qua lieu",
        "ngo doc", "uong thuoc ~ het", "передоз*", "отрав*", "выпил* все таблетки", "جرعة زائدة", "تسمم",
        "شرب كل",
        "bleach pi", "zeher", "saari goliyan", "过量", "吃了一整瓶", "中毒", "薬を全部", "飲みすぎ",
        "過剰摂取",
        "과다복용", "약을 다 먹", "중독", "lixivia", "candeggina", "javel", "bleach", "chlor",
    ),
    "suicide": (
        "suicid*", "veux me tuer", "vais me tuer", "envie de me tuer", "en finir", "envie de mourir",
        "veux mourir", "quero me matar", "vou me matar", "quero morrer",
        "acabar com tudo", "uccidermi", "farla finita", "voglio morire", "umbringen", "will sterben",
        "selbstmord", "nicht mehr leben", "zabic sie", "chce umrzec", "odebrac sobie zycie", "touye tet mwen",
        "vle mouri", "magpakamatay", "gusto ko nang mamatay", "tu tu", "khong muon song", "muon chet",
        "покончить с собой", "убить себя", "хочу умереть", "не хочу жить", "انتحار", "انتحر", "اقتل نفسي",
        "ابغى اموت", "أريد أن أموت", "khudkushi", "aatmahatya", "marna chahta", "marna chahti", "jeena nahi",
        "自杀", "自殺", "不想活", "想死", "死にたい", "消えたい", "자살", "죽고 싶", "살고 싶지 않",
    ),
    "violence": (
        "couteau", "arme", "pistolet", "me frappe", "me bat", "faca", "arma", "revolver", "me batendo",
        "coltello", "pistola", "mi picchia", "messer", "waffe", "schlagt mich", "noz*", "bron", "bije mnie",
        "kouto", "zam", "ap bat mwen", "kutsilyo", "baril", "binubugbog", "cam dao", "con dao", "cam sung",
        "danh toi", "нож*",
        "пистолет", "бьет меня", "سكين", "مسدس", "يضربني", "chaku", "bandook", "maar raha", "拿刀",
        "持刀", "枪", "槍", "打我", "ナイフ", "包丁", "殴られ", "칼을", "총을", "때려", "intrus",
        "invasor", "einbrecher",
        "wlamywacz", "вломил*", "ladron", "ladrao", "ladro", "magnanakaw", "trom",
    ),
    "fire or smoke": (
        "incendie", "au feu", "feu dans", "fumee", "incendio", "fogo", "fumaca", "fuoco", "fumo", "feuer",
        "brennt", "rauch", "pozar", "pali sie", "dym", "dife", "lafimen", "sunog", "nasusunog", "usok",
        "chay nha", "bi chay", "khoi boc", "boc khoi", "lua lon", "ngon lua", "bep chay",
        "boc chay", "пожар", "горит", "дым", "حريق", "دخان", "aag",
        "dhuan", "धुआं",
        "着火", "失火", "冒烟", "火灾", "火事", "煙が", "燃えて", "불이 났", "불났", "연기", "화재",
    ),
    "gas or carbon monoxide": (
        # The odorant added to natural gas smells of rotten eggs: callers name the smell, not the gas.
        "rotten egg*", "huevo* podrido*", "oeufs pourris", "oeuf pourri", "ovo* podre*", "uova marce",
        "uovo marcio", "faule eier", "faulen eiern", "zgnil* jaj*", "тухл* яйц*", "ze pouri",
        "bulok na itlog", "trung thoi", "بيض فاسد", "بيض خربان", "sade ande", "臭鸡蛋", "腐った卵",
        "썩은 계란", "썩은 달걀",
        "odeur de gaz", "sent le gaz", "fuite de gaz", "monoxyde", "cheiro de gas", "vazamento de gas",
        "monoxido", "odore di gas", "puzza di gas", "fuga di gas", "monossido", "riecht nach gas",
        "gasgeruch",
        "gasleck", "kohlenmonoxid", "co melder", "zapach gazu", "czuc gaz", "wyciek gazu", "czad*",
        "sant gaz", "odè gaz", "ode gaz", "amoy gas", "tagas ng gas", "mui ga", "xi ga", "ri ga",
        "bao khi co",
        "запах газа", "пахнет газом", "утечка газа", "угарн*", "رائحة غاز", "ريحة غاز", "تسرب غاز",
        "أول أكسيد",
        "gas ki smell", "gas ki badbu", "gas leak", "煤气味", "瓦斯味", "燃气泄漏", "一氧化碳", "ガスの臭い",
        "ガス臭", "一酸化炭素", "가스 냄새", "가스가 새", "일산화탄소", "co alarm", "alarme co",
        "alarme de co",
    ),
    "electrics and water": (
        "eau ~ prise*", "eau ~ tableau electrique", "etincelle*", "agua ~ tomada*", "faisca*",
        "acqua ~ prese",
        "scintill*", "wasser ~ steckdose*", "funken", "woda ~ gniazd*", "iskr*", "dlo ~ priz",
        "tubig ~ saksakan",
        "nuoc ~ o dien", "toe lua", "let xet", "вода ~ розетк*", "искр*", "الماء ~ الكهرباء", "شرار",
        "pani ~ switch board", "chingari", "水 ~ 插座", "漏电", "冒火花", "コンセント", "火花", "콘센트",
        "전기 ~ 물",
        "choque eletrico", "electrocut*", "elettrocut*", "stromschlag", "porazen* pradem", "dien giat",
        "удар* током", "صعق*", "current laga", "触电", "感電", "감전",
    ),
    "allergic reaction": (
        "gorge ~ gonfle*", "langue ~ gonfle*", "garganta ~ fechando", "lingua ~ inchad*", "gola ~ chiude",
        "lingua ~ gonfi*", "hals ~ schwillt", "zunge ~ geschwollen", "gardlo ~ puchnie", "jezyk ~ spuchniety",
        "gòj ~ fèmen", "lang ~ anfle", "namamaga ang dila", "sumisikip ang lalamunan", "sung luoi",
        "sung hong",
        "отек* горла", "язык ~ распух*", "горло ~ сжима*", "تورم ~ الحلق", "لسان ~ منتفخ", "gala ~ band",
        "喉咙 ~ 肿", "舌头肿", "喉が腫れ", "舌が腫れ", "목이 부", "혀가 부", "anaphyla*", "epipen",
    ),
    "animal toxin": (
        "chocolat noir", "raisin*", "lys", "mort aux rats", "antigel", "chocolate amargo", "uva*", "lirio*",
        "veneno de rato", "anticongelante", "cioccolato fondente", "uvetta", "giglio", "veleno per topi",
        "antigelo", "zartbitterschokolade", "weintrauben", "rosinen", "lilie*", "rattengift", "frostschutz*",
        "gorzka czekolada", "winogron*", "rodzynk*", "lilia", "trutka", "plyn do chlodnic*", "pwazon rat",
        "rezen", "lason sa daga", "ubas", "thuoc chuot", "an nho", "chum nho", "trai nho", "hoa ly",
        "nuoc lam mat", "крысиный яд",
        "виноград", "изюм", "лили*", "антифриз", "سم الفئران", "عنب", "زبيب", "الزنبق", "chuhe maar",
        "angoor",
        "老鼠药", "葡萄", "百合", "防冻液", "ネズミの毒", "殺鼠剤", "ぶどう", "ブドウ", "ユリ", "不凍液",
        "쥐약", "포도", "백합", "부동액", "xylitol", "ibuprof*", "paracetamol", "advil", "tylenol",
        "нурофен*", "ибупрофен*", "парацетамол*",
    ),
    "bloat or blocked cat": (
        "ventre gonfle", "ventre ~ dur", "barriga inchada", "pancia gonfia", "bauch ~ aufgeblaht",
        "brzuch ~ wzdety", "vant ~ gonfle", "bloat", "bung ~ phinh", "vздут*", "вздут*", "بطن ~ منتفخ",
        "pet phool", "肚子胀", "お腹が張", "배가 부풀", "pipi ~ rien", "nao sai xixi", "non fa pipi",
        "kein urin", "nie sika", "pa ka pipi", "hindi maka ihi", "khong ra giot nuoc tieu",
        "не может пописать",
        "لا يقدر يتبول", "peshab nahi", "尿不出", "おしっこが出", "소변을 못",
    ),
    "hit or fall": (
        "renverse* par une voiture", "atropel*", "investit*", "vom auto angefahren", "angefahren",
        "potracon*", "machin frape", "nasagasaan", "xe tong", "bi xe", "сбила машина", "сбил* машин*",
        "صدمته سيارة", "gaadi ne ~ maar", "被车撞", "車にはね", "차에 치", "tombe* de ~ haut",
        "caiu do telhado",
        "caduto dal", "vom dach gefallen", "spadl z", "nahulog sa", "te tu", "упал с",
    ),
    "fever in a newborn": (
        "nourrisson ~ fievre", "bebe ~ fievre", "recem nascido ~ febre", "neonato ~ febbre",
        "neugeboren* ~ fieber",
        "noworod* ~ goraczk*", "tibebe ~ lafyev", "sanggol ~ lagnat", "so sinh ~ sot", "em be ~ sot",
        "младен* ~ температур*",
        "رضيع ~ حرارة", "navjaat ~ bukhar", "新生儿 ~ 发烧", "新生児 ~ 熱", "신생아 ~ 열",
    ),
    "emergency help now": (
        "au secours", "socorro", "aiuto", "pomocy", "anmwe", "saklolo", "cuu voi", "cuu toi",
        "помогите", "النجدة", "الحقوني", "bachao", "救命", "助けて", "살려",
        "appelez le 15", "call an ambulance", "send an ambulance", "need an ambulance", "una ambulancia ya",
        "necesito una ambulancia", "appelez une ambulance", "chame uma ambulancia", "chiamate un ambulanza",
        "rufen sie einen krankenwagen", "wezwijcie karetke", "wezwac karetke", "rele anbilans",
        "tawag ng ambulansya", "goi xe cap cuu", "вызовите скорую", "вызвать скорую", "اطلب اسعاف",
        "ambulance bulao", "叫救护车", "救急車を呼", "구급차 불러", "구급차 좀",
    ),
}

HUMAN_REQUEST: dict[str, tuple[str, ...]] = {
    "a person": (
        "parler a quelquun", "parler a quelqu un", "parler a une personne", "une vraie personne",
        "un humain", "un etre humain",
        "passez moi", "un conseiller", "un agent", "le standard", "falar com alguem", "falar com uma pessoa",
        "pessoa de verdade", "atendente", "um humano", "parlare con qualcuno", "persona vera", "un operatore",
        "parlare con una persona", "un essere umano", "mit jemandem sprechen", "mit einem menschen",
        "echten menschen", "mitarbeiter", "einen menschen", "mit einer person", "z kims porozmawiac",
        "z czlowiekiem", "prawdziwa osoba", "z konsultantem", "z osoba", "pale ak yon moun", "yon moun",
        "moun tout bon", "makausap ang tao", "makausap ng tao", "totoong tao", "tao po", "kausapin ~ tao",
        "ahente", "nguoi that", "noi chuyen voi nguoi", "gap nhan vien", "noi may", "chuyen may",
        "gap ai do", "с человеком", "живым человеком", "оператор*", "соедините", "مع شخص", "إنسان حقيقي",
        "انسان حقيقي", "موظف", "كلمني حد", "kisi insaan", "insaan se", "kisi se baat", "asli insaan",
        "真人", "人工服务", "人工客服", "转人工", "接线员", "人と話", "オペレーター", "担当者", "사람이랑",
        "사람과 통화", "상담원", "사람 바꿔", "사람 연결", "with a human", "real person",
    ),
    "not a machine": (
        "not a machine", "not a robot", "not a bot", "not the machine", "not the robot", "dont want a bot",
        "nicht mit einem computer", "nicht mit dem computer", "not a computer", "not with a computer",
        "dont want a robot", "dont want a machine", "dont want to talk to a machine",
        "no quiero una maquina", "no quiero un robot", "no quiero hablar con una maquina",
        "no con una maquina", "pas un robot", "pas une machine", "pas a un robot", "nao quero robo",
        "nao quero falar com robo", "nao com maquina", "non un robot", "non una macchina", "kein roboter",
        "keine maschine", "nicht mit einer maschine", "nie z robotem", "nie z automatem", "не робот",
        "не с роботом", "не с автоответчиком", "pa ak yon machin", "pa yon robo", "hindi robot",
        "ayoko ng robot",
        "khong phai may", "khong muon noi voi may", "مش روبوت", "مو آلة", "ما ابي الة", "robot nahi",
        "machine nahi", "不要机器人", "不要机器", "ロボットじゃなくて", "機械じゃなくて", "기계 말고",
        "로봇 말고",
    ),
    "operator": (
        "operateur", "operador", "operadora", "operatore", "operator", "operatorem", "operatè",
        "tong dai vien",
        "оператор", "عامل الهاتف", "总机", "交换台",
    ),
}

HIGH_PRIORITY: dict[str, tuple[str, ...]] = {
    "burst pipe or flooding": (
        "tuyau ~ eclate", "inond*", "cano ~ estourou", "alagad*", "alagando", "inundad*", "tubo ~ rotto",
        "allagat*", "rohrbruch", "uberschwemm*", "pekla rura", "zalan*", "zalewa", "tiyo ~ pete", "inonde",
        "pumutok ang tubo", "baha", "ong nuoc vo", "ngap", "прорвало трубу", "затопил*", "انفجار ~ ماسورة",
        "غرق*", "pipe phat", "paani bhar", "水管爆", "淹水", "水浸し", "배관이 터", "물이 넘",
        "수도관이 터", "물바다", "파이프가 터",
    ),
    "no heat in the cold": (
        "pas de chauffage", "sem aquecimento", "senza riscaldamento", "keine heizung", "heizung ~ kaputt",
        "brak ogrzewania", "pa gen chofaj", "walang heater", "may suoi hu", "нет отопления", "لا يوجد تدفئة",
        "heater kharab", "没有暖气", "暖房が壊", "난방이 안",
    ),
    "dental pain and swelling": (
        "rage de dents", "joue ~ gonfle*", "dor de dente", "rosto inchado", "mal di denti", "guancia gonfia",
        "zahnschmerz*", "backe ~ geschwollen", "bol zeba", "spuchniet*", "mal dan", "masakit ang ngipin",
        "dau rang", "ma sung", "sung ma", "зубная боль", "болит зуб", "опух*", "ألم ~ ضرس", "وجه ~ منتفخ",
        "daant mein dard",
        "牙疼", "牙痛", "脸肿", "歯が痛", "顔が腫れ", "치통", "이가 아파", "부었",
    ),
    "repeated vomiting": (
        "vomi* ~ fois", "vomit* ~ vezes", "vomit* ~ volte", "erbrochen ~ mal", "wymiot* ~ razy", "vomi ~ fwa",
        "nagsusuka", "oi ~ lan", "рвет*", "рвота", "يتقيأ", "ulti", "吐了 ~ 次", "吐き続け", "토했", "구토",
    ),
    "locked out with a child": (
        "enfant ~ enferme", "crianca ~ trancad*", "bambino ~ chiuso", "kind ~ eingesperrt",
        "dziecko ~ zamkniete",
        "ti moun ~ fèmen", "anak ~ naka lock", "bi khoa ngoai", "ребенок ~ заперт", "طفل ~ مقفل",
        "bacha ~ band",
        "孩子 ~ 锁在", "子供 ~ 閉じ込め", "아이 ~ 갇혀",
    ),
}
# fmt: on

# Narrative signs: what a caller describes without naming the emergency (the first failure
# class). Each is a strong sign on its own, in any of the sixteen languages.
# fmt: off
SIGNS: dict[str, tuple[str, ...]] = {
    "turning blue": (
        "turning blue", "lips are blue", "blue lips", "devient bleu", "levres bleues", "se pone morado",
        "labios morados", "se esta poniendo azul", "ficando roxo", "labios roxos", "diventando viola",
        "diventa viola", "labbra viola", "cianotic*", "lauft blau an", "blaue lippen", "wird blau",
        "robi sie sin*", "sine usta", "siniej*", "синеет", "синие губы", "посинел*", "весь синий",
        "вся синяя",
        "tim tai", "moi tim", "vin ble", "ap vin mov", "vin mov", "nangingitim", "nagiging asul",
        "nangangasul", "violet ang labi", "ازرق", "زرقاء", "neela pad", "hoth neele", "嘴唇发紫", "发紫",
        "脸发青", "顔が紫", "唇が紫", "紫色になっ", "파래지", "파랗게", "입술이 파",
    ),
    "choking": (
        "s etouffe", "avale de travers", "engasg*", "strozzat*", "soffoca*", "verschluck*", "erstick*",
        "zakrztusil*", "dlawi sie", "подавил*", "поперхнул*", "mac nghen", "bi hoc", "hoc xuong", "toufe",
        "trangle",
        "nabulunan", "nabilaukan", "اختنق", "شرق", "gale mein phas", "phas gaya", "atak gaya", "噎住",
        "卡在喉咙", "喉に詰ま", "詰まらせ", "목에 걸", "질식",
        "ne peut ni parler ni tousser", "nao consegue tossir", "non riesce a tossire", "kann nicht husten",
        "nie moze kaszlec", "ni kaszlec", "ни кашлять", "khong ho duoc", "ni touse", "hindi makaubo",
        "ما يقدر يكح", "khansi bhi nahi", "咳不出", "咳もでき", "기침도 못",
    ),
    "drowning": (
        "noy*", "afog*", "annega*", "ertrunk*", "ertrinkt", "aus dem wasser gezogen", "topil* sie", "utonal*",
        "tonie", "z dna basenu", "из воды вытащили", "вытащили из воды", "тонул*", "утонул*", "duoi nuoc",
        "chet duoi", "neye", "fon pisin", "nalunod", "ilalim ng pool", "قاع المسبح", "غرقان", "doob gaya",
        "pool ke neeche", "溺水", "落水", "溺れ", "沈んで", "물에 빠", "엎드려 있었",
        "through the ice", "sous la glace", "pod lod", "под лед", "провалился под", "eingebrochen",
        "lago ghiacciato", "no gelo", "caiu no lago", "duoi bang", "anba glas", "yelo", "الجليد",
        "thande talab", "掉进冰", "冰窟窿", "氷が割れ", "얼음이 깨",
    ),
    "not making sense": (
        "redet wirres zeug", "wirres zeug", "total verwirrt", "ganz verwirrt", "plotzlich verwirrt",
        "dice cose senza senso", "e confuso", "gada od rzeczy", "zdezorientowan*", "splatan*", "zagubion*",
        "заговаривается", "бредит", "несет какую то ерунду", "несет ерунду", "noi lam nham", "lu lan",
        "noi khong ra cau", "li pa konn kote l ye", "pale tankou moun sou", "lito siya",
        "kung ano ano sinasabi",
        "wala sa sarili", "يخربط بالكلام", "كلام مش مفهوم", "مو مركز", "ulta seedha bol", "bakwaas bol",
        "hosh mein nahi", "神志不清", "胡言乱语", "说胡话", "ぼーっと", "言ってることがおかしい",
        "受け答えがおかしい", "횡설수설", "헛소리", "정신이 오락가락", "dit des choses bizarres",
        "fala coisas sem sentido", "esta confuso", "esta confusa", "habla incoherencias", "confused and",
        "not making sense", "talking nonsense",
    ),
    "same question again": (
        "same question", "meme question", "mesma pergunta", "misma pregunta", "stessa cosa", "stessa domanda",
        "immer wieder dasselbe", "pyta o to samo", "одно и то же", "hoi di hoi lai", "menm kesyon",
        "parehong tanong", "paulit ulit", "نفس السؤال", "wahi sawaal", "ek hi sawaal", "一直问",
        "同じことを何",
        "같은 걸 물어", "같은 말을 계속", "같은 질문",
    ),
    "sunken soft spot": (
        "soft spot * sunken", "sunken soft spot", "fontanel*", "mollera", "moleira", "ciemiaczk*", "родничок",
        "thop", "bumbunan", "يافوخ", "talu andar", "囟门", "大泉門", "숫구멍", "tet bebe a fon",
        "no wet diaper", "keine nasse windel", "pannolino e sempre asciutto", "mokrej pieluchy",
        "fralda molhada", "couche mouillee", "panal mojado", "мокрого подгузника", "ta kho", "geela diaper",
        "basang diaper", "حفاضة مبلولة", "おむつが全然濡れ", "기저귀가 계속 말라",
    ),
    "heat stroke": (
        "hot and dry", "heiss und trocken", "bollente e secca", "goraca i sucha", "quente e seca",
        "chaude et seche", "caliente y seca", "горячая и сухая", "nong ran", "cho e sek", "init ng balat",
        "حار وناشف", "garam aur sukhi", "又烫又干", "熱くて乾いて", "불덩이", "stopped sweating",
        "schwitzt nicht mehr", "non suda piu", "nie poci", "nao sua mais", "ne transpire plus", "ya no suda",
        "не потеет", "khong ra mo hoi", "pa swe anko", "hindi na pinapawisan", "ما يعرق", "paseena bhi nahi",
        "不出汗", "汗が出てない", "땀이 안 나",
    ),
    "swelling reaching the throat": (
        "down to the neck", "into the neck", "bis in den hals", "fino al collo", "na szyje", "ate o pescoco",
        "jusqu au cou", "hasta el cuello", "до шеи", "на шею", "lan xuong co", "jis nan kou", "sa leeg",
        "لرقبتي", "للرقبة", "gardan tak", "肿到脖子", "首の方まで", "목까지", "hard to swallow",
        "cant swallow", "kann kaum schlucken", "fatica a deglutire", "ledwo przelykam", "nao consigo engolir",
        "du mal a avaler", "no puedo tragar", "трудно глотать", "nuot * kho", "pa ka vale", "hirap lumunok",
        "ما اقدر ابلع", "nigal nahi", "吞咽困难", "咽不下", "飲み込みにく", "삼키기도 힘",
        "lang li vin gwo", "kumakapal * dila", "lisan tqil", "لسانها تقيل", "jeebh moti", "舌が分厚",
        "舌头发麻", "목이 조인", "tongue feels thick", "lingua gonfia", "zunge schwillt", "jezyk jej puchnie",
        "язык распух", "luoi sung", "dila namamaga",
    ),
    "bleeding that will not stop": (
        "blutet seit stunden", "sanguina da ore", "krew leci i leci", "krwawi od godzin",
        "sangrando ha horas",
        "saigne depuis des heures", "кровь не останавливается", "кровит", "mau chay hoai", "chay mau hoai",
        "san pa sispann", "ayaw tumigil ng dugo", "الدم ما وقف", "khoon ruk hi nahi", "khoon ruk nahi",
        "血止不住", "血が止まらな", "피가 안 멈", "피가 계속",
    ),
    "poisonous to a pet": (
        "rattengift*", "giftkoder*", "zartbitter*", "backschokolade", "esca per topi", "grappolo d uva",
        "gigli", "trutk*", "gorzkiej czekolady", "gorzka czekolade", "winogron*", "chokola nwa", "antijel",
        "ibipwofen", "flè lis", "fle lis", "dark chocolate", "sam el far", "سم الفيران", "سم الفئران",
        "شوكولاتة داكنة", "مية الردياتير", "بروفين", "angoor", "チョコ", "ビターチョコ", "イブプロフェン",
        "ユリ", "不凍液", "다크초콜릿", "초콜릿", "이부프로펜", "백합", "부동액", "勾股", "黑巧克力",
        "巧克力", "布洛芬", "百合花", "防冻液", "老鼠药", "шоколад*", "ибупрофен*", "винограда", "лилии",
        "антифриз", "крысин*", "socola", "so co la", "ibuprofen", "thuoc chuot", "la hoa ly",
        "lily", "lirio", "lirios", "lys", "antifreeze",
    ),
    "bloat": (
        "riesig und hart", "wurgt aber es kommt nichts", "cerca di vomitare ma non esce",
        "si e gonfiato duro",
        "probuje wymiotowac i nic", "ogromny i twardy", "tenta vomitar e nao sai", "essaie de vomir",
        "живот раздулся", "пытается срыгнуть", "phinh to", "oe ma khong ra", "vant li gonfle",
        "lumaki at tumigas",
        "انتفخ فجأة", "يحاول يستفرغ", "pet phool", "肚子突然胀", "干呕", "お腹が急にパンパン",
        "吐こうとしてる",
        "배가 갑자기 빵빵", "토하려고 하는데",
    ),
    "male cat cannot pee": (
        "kein tropfen urin", "neanche una goccia", "ani kropli moczu", "nem uma gota", "pas une goutte",
        "ni una gota", "ни капли мочи", "khong ra giot", "pa gen pipi", "walang ihing lumalabas",
        "ولا نقطة بول", "ek boond", "一滴尿", "一滴も出な", "한 방울도",
    ),
    "labour with no delivery": (
        "presst seit", "spinge da piu di", "przeje od", "empurrando ha mais de", "pousse depuis plus",
        "puja desde hace mas", "тужится больше", "ran de hon", "pouse depi plis", "umiire",
        "بتطلق من اكتر", "do ghante se", "两个多小时", "二時間以上いきん", "두 시간 넘게 힘",
        "pushing for over", "pushing for two",
    ),
    "colic": (
        "walzt sich", "si rotola", "tarza sie", "rola no chao", "se roule par terre", "se revuelca",
        "катается по земле", "lan ra dat", "woule", "gumugulong", "يتقلب", "lot pot", "打滚", "転がって",
        "뒹굴", "rolling and", "keeps rolling",
    ),
    "electric shock": (
        "funkt", "poraz* * prad*", "porazil go prad", "iskrzy", "current laga", "كهربه", "nange taar",
        "etensel", "불꽃이 튀", "electrocuted", "got shocked", "shocked by",
    ),
    "does not wake": (
        "wird nicht richtig wach", "nicht wach", "nie chce sie obudzic", "nie mozna obudzic", "uth nahi rahi",
        "uth nahi raha", "p ap leve", "di magising", "ما تصحى", "起きない", "안 깨", "won t wake",
        "wont wake", "can t wake", "cant wake", "non si sveglia",
    ),
    "took all the pills": (
        "alle tabletten", "tutte le pastiglie", "wszystkie tabletki", "todos os comprimidos",
        "tous les comprimes", "todas las pastillas", "все таблетки", "uong het vi thuoc", "tout grenn yo",
        "lahat ng gamot", "lahat ng tableta", "كل الحبوب", "saari goliyan", "所有的药", "一整瓶药",
        "薬を全部", "약을 다", "약을 전부", "took all my pills", "took all the pills",
        "nicht mehr leben", "non voglio piu vivere", "nie chce juz zyc", "nao quero mais viver",
        "ne veux plus vivre", "no quiero vivir", "pa vle viv anko", "ayoko na mabuhay", "ayoko nang mabuhay",
        "ما بدي عيش", "ما ابغى اعيش", "jeena nahi", "不想活了", "生きていたくない", "살고 싶지",
    ),
    "chest pressure and arm": (
        "druckt * auf der brust", "auf der brust", "peso sul petto", "gniecie w klatce",
        "poids sur la poitrine", "presion en el pecho", "aperto no peito", "давит в груди", "sere pwatrin",
        "nakadagan sa dibdib", "ضغط على صدري", "seene pe bhaari", "胸口发闷", "胸闷", "胸が締め付け",
        "가슴이 쥐어짜", "가슴이 답답", "linke arm kribbelt", "braccio sinistro formicola",
        "lewa reka dretwieje", "braco esquerdo", "bras gauche", "brazo izquierdo", "левая рука",
        "tay trai", "bra goch", "kaliwang braso", "ايدي الشمال", "left haath sunn", "左臂发麻",
        "左腕がしびれ", "왼팔이 저려",
    ),
    "stroke signs": (
        "face * lopsided", "lopsided face", "cara * chueca", "cara torcida", "visage * de travers",
        "redet * verwaschen", "mundwinkel hangt", "arm ist schlapp", "mowi niewyraznie", "kacik ust",
        "bezwladn*", "fala enrolad*", "boca caida", "bouche tordue", "parla strano", "biascica",
        "невнятно", "перекосило", "bouch * kwochi", "tabingi * bibig", "tabingi yung bibig", "bulol",
        "تمها مايل", "فمه مايل", "كلامها مش مفهوم", "tootla bol", "muh ek taraf", "口角歪", "嘴歪",
        "说话不清", "ろれつ", "口が曲が", "발음이 어눌", "입이 처지", "한쪽 입",
    ),
    "violence now": (
        "칼 들고", "죽인다고", "chaaku leke", "maar dega", "ماسك سكينة", "هيموتني", "mit einem messer",
        "con un coltello", "z nozem", "com uma faca", "avec un couteau", "con un cuchillo", "с ножом",
        "cam dao", "ak yon kouto", "may kutsilyo", "拿着刀", "包丁を持",
        # Armed, with no weapon named.
        "hombre armado", "tipo armado", "alguien armado", "homme arme", "homem armado", "uomo armato",
        "bewaffnet*", "uzbrojon*", "вооружен*", "مسلح",
    ),
    "breathing and gas words": (
        "ما يتنفس", "مش بيتنفس", "ما بيتنفس", "amoy ng gas", "lakas ng amoy", "ininom ko lahat",
        "riecht ganz stark nach gas", "nach gas", "odore di gas", "zapach gazu", "cheiro de gas",
        "пахнет газом",
        "mui ga", "sant gaz", "amoy gas", "ريحة غاز", "가스 냄새",
    ),
}
# fmt: on
EMERGENCY.update(SIGNS)

# English and Spanish signs the phrase trie (phrases.py) does not name: what a caller describes.
# fmt: off
EN_ES_SIGNS: dict[str, tuple[str, ...]] = {
    "breathing trouble": (
        "wheezing", "wheeze", "cant get a full breath", "cant get air", "cant get enough air",
        "breathing weird",
        "breathing funny", "breathing with her mouth open", "breathing with his mouth open",
        "mouth open breathing",
        "sides are heaving", "ribs are sucking in", "ribs sucking in", "inhaler isnt helping",
        "inhaler not helping",
        "breathing is really slow", "breathing very slow", "breathing is slow", "barely breathing",
        "panting like crazy",
        "lips are turning", "sibilancias", "no le entra aire", "respira raro", "respira muy lento",
        "se le hunden las costillas",
        "el inhalador no le ayuda", "le silba el pecho", "jadeando mucho",
    ),
    "not responding": (
        "wont respond", "won t respond", "not answering me", "isnt answering me", "barely awake",
        "wont open his eyes", "wont open her eyes", "eyes rolled back", "eyes are rolling", "really limp",
        "super floppy",
        "floppy", "limp and", "groggy and confused", "hard to wake", "wont stay awake", "no me responde",
        "no reacciona",
        "no abre los ojos", "los ojos en blanco", "esta muy flojito", "casi no despierta", "no se despierta",
    ),
    "choking or throat": (
        "grabbed her throat", "grabbed his throat", "cant make any sound", "cant make a sound",
        "cant talk or swallow",
        "barely talk or swallow", "cant swallow", "wont swallow", "swallow my spit", "swallow her spit",
        "swallow his spit",
        "se agarro la garganta", "no puede tragar", "no puede hablar ni toser", "no le sale la voz",
    ),
    "neuro signs": (
        "worst headache", "cant feel her legs", "cant feel his legs", "cant feel my legs",
        "cant feel his face",
        "cant feel her face", "side of his body", "side of her body", "cant see out of one eye",
        "lost vision",
        "room is spinning and", "cant walk straight", "talking funny", "words come out wrong", "wont grip",
        "arms and legs are jerking", "jerking and", "shaking all over and", "acting drunk", "mumbling",
        "el peor dolor de cabeza", "no siente las piernas", "no siente la cara", "no ve de un ojo",
        "habla raro",
        "se le traba la lengua", "no puede caminar derecho", "esta temblando toda y",
    ),
    "severe injury": (
        "gun", "got shot", "been shot", "was shot", "shot in the", "stabbed", "stab wound", "gunshot",
        "bent the wrong way", "bone sticking out", "fell off the roof",
        "fell off the balcony", "fell from", "fell off the horse", "pouring blood", "its pouring",
        "blood thinners",
        "on warfarin", "on eliquis", "skin is white and leathery", "charred", "burned badly", "pistola",
        "disparo",
        "balazo", "apunalad*", "navaja", "se cayo del techo", "se cayo del balcon", "hueso salido",
        "anticoagulante*",
    ),
    "violence at home": (
        "hitting me", "beating his wife", "beating her", "beating him", "kick in my door",
        "kicking in the door",
        "breaking in", "break in", "threatening people", "threatening me", "has a knife", "with a knife",
        "me esta pegando",
        "me esta golpeando", "quiere entrar a la fuerza", "me amenaza", "tiene un cuchillo",
    ),
    "suicide signs": (
        "doesnt want to wake up", "dont want to wake up", "giving away her stuff", "giving away his stuff",
        "giving away their stuff", "goodbye letter", "said goodbye", "no quiere despertar",
        "regalando sus cosas",
        "carta de despedida",
    ),
    # Farewells and preparations, told without the word (the first class, for suicide):
    # letters written, things given away, pills set out, "I won't be here tomorrow".
    "suicide farewell": (
        "dont want to be here anymore", "pills lined up", "wrote letters to", "wanted someone to know",
        "wanted to say goodbye", "ya no quiero vivir", "despedirme de todos",
        "regale mis cosas", "plus envie de vivre", "ecrit des lettres", "donne mes affaires",
        "separei os remedios", "me despedir de todos",
        "nao quero mais viver", "salutare tutti per l ultima", "non voglio piu vivere",
        "keine kraft mehr zu leben", "ab morgen eh nichts mehr",
        "chcialem sie pozegnac", "chcialam sie pozegnac", "tabletki mam przygotowane", "nie chce juz zyc",
        "m pa vle viv anko", "ayoko nang mabuhay", "magpapaalam na ako", "khong muon song nua",
        "хотела чтобы кто то знал", "хотел чтобы кто то знал", "попрощаться со всеми",
        "не хочу больше жить", "ما بدي عيش", "ودعتكم", "jeene ka mann nahi", "aaj raat ke baad koi",
        "撑不下去了", "说一声再见", "全部終わりにしたい",
        "最後に誰かの声", "もう生きていたくない", "편지 다 놔뒀", "살고 싶지 않아",
    ),
    "poisoning signs": (
        "button batteries", "dishwasher pod*", "laundry pod*", "detergent pod*", "foam in his mouth",
        "foam in her mouth",
        "foaming at the mouth", "bunch of his", "bunch of her", "bunch of pills", "handful of pills",
        "took a bunch",
        "espuma por la boca", "capsula de detergente", "pila de boton", "pilas de boton",
        "un punado de pastillas",
    ),
    "baby or pregnancy": (
        "water broke", "see the cord", "cord is out", "bleeding and pregnant", "weeks pregnant and",
        "baby isnt moving",
        "not feeding", "wont feed", "wont eat and has a fever", "rash that doesnt fade", "doesnt fade when",
        "no tears", "real tears", "se me rompio la fuente", "se ve el cordon", "el bebe no se mueve",
        "no quiere comer y tiene fiebre",
        "no llora lagrimas", "manchas que no se quitan",
    ),
    "hazard at home": (
        "sparking", "smoking", "smoldering", "flames", "a little flame", "a flame", "on fire", "melted and",
        "hissing", "smells like sulfur", "stinks of gas", "smell of gas", "gas meter", "power line",
        "downed line",
        "live wire", "hot to the touch", "buzzing and hot", "co detector", "co alarm",
        "detector is screaming",
        "headache and feels sick", "everyone in the house has a headache", "all have headaches", "chispas",
        "echa humo",
        "huele a quemado", "llamas", "cable caido", "cable suelto", "caliente al tacto", "detector de co",
        "alarma de co",
        "todos con dolor de cabeza",
    ),
    "animal signs": (
        "belly is huge", "belly is swollen and hard", "stomach is swollen and hard", "nothing comes out",
        "nothing coming out", "trying to throw up but", "pushing for", "no puppy", "no kitten", "no foal",
        "in labour",
        "in labor and", "left in the car", "panting and", "drooling and wobbly", "wobbly", "hasnt peed",
        "hasnt pooped",
        "hunched", "breathing weird", "la panza hinchada y dura", "no le sale nada", "intenta vomitar y no",
        "pujando desde hace", "se quedo en el carro", "jadea mucho", "no ha hecho pipi",
    ),
    "found unwell": (
        "theres a smell and", "hasnt picked up his mail", "hasnt picked up her mail",
        "havent seen him in days",
        "car running in the closed garage", "car running in the garage", "found him", "found her",
        "lo encontre",
        "la encontre", "no ha salido en dias",
    ),
}
# fmt: on
EMERGENCY.update(EN_ES_SIGNS)

# Urgent-but-not-life-threatening situations that need two things said together (the heat is out AND
# it is freezing; a pet swallowed something AND acts normal would still be urgent): (concept, first
# phrases, second phrases), anywhere in the line, first not cancelled. Emergencies are matched first.
# fmt: off
_HEAT = (
    "chauffage", "تدفئة", "heizung", "ogrzewani*", "отоплени*", "chofaj", "보일러", "난방", "暖房", "暖气",
    "heater",
    "aquecimento", "riscaldamento", "caldaia", "calefaccion", "may suoi", "التدفئة", "الدفاية", "heating",
    "furnace", "heat", "calefactor", "boiler", "aquecedor", "calentador", "riscaldamento",
)
_COLD: tuple[str, ...] = (
    "moins", "minus", "gela", "gelo", "congelando", "frio", "ap jele", "frèt", "fret", "영하", "한파",
    "氷点下",
    "零下", "zero grau", "zero graus", "lamig", "nagyeyelo", "lanh cong", "freezing",
    "below zero", "helada", "mroz", "мороз", "минус",
    "malamig", "lanh", "barf", "thand",
    "برد", "بارد", "باردة", "ساقعة", "tres froid", "eiskalt", "zimno", "lạnh", "menos", "graus negativos",
    "abaixo de zero",
    "bajo cero", "sotto zero", "unter null", "ponizej zera", "ниже нуля", "تحت الصفر", "thanda",
)
_VOMIT: tuple[str, ...] = (
    "vomi*", "erbrich*", "erbroch*", "wymiot*", "рвет", "рвота", "рвало", "ap vomi", "nagsusuka", "sumuka",
    "يرجع", "بيرجع", "يستفرغ", "ulti", "吐", "토해", "토했", "구토", "throwing up", "throw up", "vomiting",
)
_TIMES = (
    "fois", "vezes", "volte", "mal", "razy", "раз", "fwa", "beses", "lan", "مرات", "baar", "次", "回", "번",
    "toda", "toute la nuit", "depuis", "seit", "od", "с ночи", "depi", "since", "all night", "all day",
    "desde", "da ieri", "nacht", "nuit", "noite", "от", "kagabi", "tu toi", "امبارح", "raat", "昨晚", "夜中",
    "어젯밤", "times",
)
_SWALLOWED: tuple[str, ...] = (
    "engoliu", "ingoiato", "ingoio", "verschluckt", "gefressen", "polknal*", "połknął", "проглотил*",
    "nuot", "vale", "nakalunok", "بلع", "nigal", "吞了", "飲み込", "삼켰", "swallowed", "trago", "avale",
)
_NORMAL: tuple[str, ...] = (
    "normal*", "brincando", "gioca", "spielt", "bawi sie", "играет", "jwe", "naglalaro", "choi", "يلعب",
    "khel", "正常", "元気", "잘 놀", "acting fine", "acting normal", "playing",
)
_LOCKED: tuple[str, ...] = (
    "trancad*", "chiusa fuori", "chiuso fuori", "ausgesperrt", "zatrzasn*", "заперл*", "fèmen deyò", "nalock",
    "قفلت الباب", "bi khoa", "band ho gaya", "锁在门外", "締め出", "문이 잠겨", "locked out", "lock out",
    "enferme dehors", "fermee dehors", "me quede afuera", "lockout", "bloque dehors", "trancado",
    "locked my keys in", "keys locked in", "locked in the car", "locked the keys in", "keys inside",
)
_CHILD = (
    "bebe", "bebê", "bimbo", "bambino", "kind", "baby", "dziecko", "ребен*", "ребён*", "pitit", "anak", "con",
    "طفل", "ابني", "bachcha", "孩子", "子", "아이", "아기", "child", "kid", "crianca", "enfant", "nino",
    "toddler",
)
_FEVER = (
    "febre", "fievre", "fieber", "goraczk*", "температур*", "lafyev", "lagnat", "sot", "حرارة", "bukhar",
    "发烧", "熱が", "열이", "fever", "fiebre", "febbre",
)
_DAYS: tuple[str, ...] = (
    "deux jours", "dois dias", "due giorni", "zwei tagen", "dwoch dni", "drugi dzien", "третий день",
    "два дня",
    "twa jou", "de jou", "dalawang araw", "ngay", "يومين", "do din", "两天", "三日", "이틀", "two days",
    "three days", "dos dias", "tres dias", "trois jours", "tre giorni", "drei tagen", "3 days", "3 dias",
    "trzech dni", "три дня", "трёх дней", "трех дней", "tatlong araw", "ba ngay", "ثلاث ايام", "تلات ايام",
    "teen din", "三天", "3日", "사흘", "삼일", "dos dias", "two days", "few days", "couple of days",
)
_NOT_EATING: tuple[str, ...] = (
    "nao come", "mange plus", "non mangia", "frisst nicht", "fast nichts", "nie je", "не ест", "pa manje",
    "ayaw kumain", "khong an", "ما اكلت", "ما ياكل", "kuch nahi kha", "没吃东西", "食べない", "食べません",
    "안 먹", "not eating", "wont eat", "no come", "hasnt eaten",
)
_LEAK = (
    "water coming", "water is coming", "water pouring", "agua entrando", "entra agua", "l eau rentre",
    "entrando agua", "wasser kommt", "вода идет", "вода течет", "水が入って", "水进来",
    "fuit", "fuite", "vaza*", "perde", "perdita", "leckt", "undicht", "ciekn*", "przecieka", "протека*",
    "течет",
    "хлещет", "koule", "tumutulo", "tagas", "ro ri", "يسرب", "تسريب", "leak*", "tapak", "漏水", "漏",
    "水が漏れ",
    "물이 새", "gotea", "inonda", "pingando", "gocciola", "woda", "вода", "dlo", "tubig", "nuoc", "مية",
    "paani", "水", "물",
)
_PLACE = (
    "楼下", "downstairs", "the unit below", "en bas", "embaixo", "unten", "соседей снизу", "下の階",
    "아래층", "al de abajo",
    "plafond", "teto", "soffitto", "decke", "sufit", "потол*", "plafon", "kisame", "tran nha", "السقف",
    "chhat",
    "天花板", "天井", "천장", "ceiling", "techo", "sous sol", "porao", "cantina", "keller", "piwnic*",
    "подвал*",
    "basement", "sotano", "cuisine", "cozinha", "cucina", "kuche", "kuchni", "кухн*", "kitchen", "cocina",
    "bếp", "bep", "مطبخ", "厨房", "台所", "부엌", "주방", "salle de bain", "banheiro", "bagno", "badezimmer",
    "lazienk*", "ванн*", "bathroom", "bano", "lavandri*", "lavanderia", "laundry", "partout", "toupatou",
    "everywhere", "por todas partes", "wszedzie", "везде", "khap", "كلها", "everywhere",
)
_STUCK: tuple[str, ...] = (
    "bloque*", "coince*", "preso", "bloccat*", "steckt", "utknal*", "utknęła", "застрял*", "bloke",
    "na stuck",
    "عالق", "phas", "ket", "困在", "閉じ込め", "갇혔", "stuck", "atrapad*", "wheelchair", "cadeira de rodas",
    "fauteuil roulant", "sedia a rotelle", "rollstuhl", "wozek", "коляск*", "chèz woulant", "xe lan",
    "كرسي متحرك", "轮椅", "車椅子", "휠체어", "silla de ruedas", "naka wheelchair",
)
_ELEVATOR = (
    "ascenseur", "elevador", "ascensore", "aufzug", "fahrstuhl", "winda", "windzie", "лифт*", "asansè",
    "asanse",
    "elevator", "thang may", "المصعد", "lift", "电梯", "エレベーター", "엘리베이터", "ascensor",
)
_TOOTH = (
    "dent", "dente", "zahn", "zab", "zeba", "зуб*", "dan", "ngipin", "rang", "سن", "ضرس", "daant", "牙", "歯",
    "이가", "치아", "앞니", "tooth", "teeth", "diente", "muela",
)
_TOOTH_BAD: tuple[str, ...] = (
    "割れ", "toot", "断了", "bi gay", "gay roi", "broke", "broken", "cracked", "rompi*", "roto", "rota",
    "cass*",
    "kase",
    "quebr*", "zlaman*", "ulamal*", "сломал*", "откол*", "nabali", "انكسر*", "مكسور", "すごく痛",
    "bahut dard",
    "疼得厉害", "dau qua", "dau lam",
    "permanent*", "definitiv*", "stala", "stałą", "постоянн*", "pèmanan", "vinh vien", "الدائمة", "永久歯",
    "영구치", "knocked out", "gonfle*", "inchad*", "gonfi*", "geschwollen", "dick", "spuchn*", "опух*",
    "anfle",
    "namamaga", "sung", "منفوخ", "sooj*", "肿", "腫れ", "부어", "swollen", "hinchad*", "tres mal", "muito",
    "fortissimo", "ズキズキ",
    "severe", "terrible",
)
# The same urgent concepts as other callers say them (batch 4's misses were their translations):
# snow for the cold, past and colloquial forms of vomiting, swallowing and not eating, "as usual".
_COLD = (
    *_COLD, "nevar", "nevando", "neve", "snow", "snowing", "nieve", "neige", "schnee", "schneit", "snieg",
    "снег", "ثلج", "تتلج", "بتتلج", "下雪", "大雪", "눈이 와", "nyebe", "tuyet roi", "niyebe",
)
_VOMIT = (
    *_VOMIT, "ubergibt sich", "ubergeben", "nagsuka", "رجعت", "ترجع", "بترجع", "استفرغ", "吐了", "吐いて",
    "토하", "вырвало", "vomit",
)
_SWALLOWED = (*_SWALLOWED, "inghiottit*", "吞下", "swallow", "zjadl*", "nuot phai")
_LOCKED = (
    *_LOCKED, "llaves adentro", "llaves dentro", "quedaron las llaves", "cles a l interieur",
    "cles dans la voiture", "chaves dentro", "chiavi dentro", "chiavi in macchina", "schlussel im auto",
    "schlussel drin", "klucze w srodku", "ключи внутри", "ключи в машине", "المفاتيح جوا", "المفاتيح جوه",
    "naiwan ang susi", "quen chia khoa", "kle yo anndan", "chabi andar", "钥匙锁在", "鍵を閉じ込め",
    "열쇠를 두고",
)
_NORMAL = (
    *_NORMAL, "بيلعب", "بياكل", "عادي", "该吃吃", "该玩玩", "mangia", "wie immer", "jak zwykle",
    "как обычно", "as usual", "normalmente", "binh thuong", "okay naman", "normal lang", "como siempre",
    "como sempre", "come sempre", "comme dhabitude",
)
_NOT_EATING = (
    *_NOT_EATING, "ما اكل", "ما أكل", "مش بياكل", "食べてな", "no ha comido", "nao comeu", "pas mange",
    "nichts gefressen", "nic nie je", "ничего не ест", "hindi kumakain", "khong chiu an", "kuch nahi khaya",
    "不吃东西", "밥을 안",
)
_DAYS = (*_DAYS, "من يومين", "二日", "2日", "desde hace dos", "depuis deux", "ha due giorni")
_STUCK = (*_STUCK, "卡在", "卡住", "محبوس*", "مزنوق*")
_TOOTH_BAD = (*_TOOTH_BAD, "منتفخ", "وارم", "يعورني وايد", "nerve is exposed", "nervio expuesto")
_HIGH_TEMPERATURE = (
    "39", "40", "41", "103", "104", "105", "forty", "cuarenta", "quarante", "quaranta", "quarenta",
    "vierzig", "czterdziesci", "сорок", "karant", "apatnapu", "bon muoi", "أربعين", "اربعين", "chalis",
    "四十", "40度", "39度", "사십", "40도", "thirty nine", "treinta y nueve", "trente neuf",
    "trinta e nove", "trentanove", "neununddreissig", "тридцать девять",
)
# fmt: on
HIGH_PRIORITY_COMBOS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("no heat in the cold", _HEAT, _COLD),
    ("repeated vomiting", _VOMIT, _TIMES),
    ("swallowed object", _SWALLOWED, _NORMAL),
    ("locked out with a child", _LOCKED, _CHILD),
    ("fever for days", _FEVER, _DAYS),
    ("pet not eating", _NOT_EATING, _DAYS),
    ("water leak", _LEAK, _PLACE),
    ("stuck in the elevator", _ELEVATOR, _STUCK),
    ("tooth injury or pain", _TOOTH, _TOOTH_BAD),
    ("high fever", _FEVER, _HIGH_TEMPERATURE),
)
HIGH_PRIORITY.update(
    {
        "cannot bear weight": (
            "nao consigo pisar",
            "non riesco ad appoggiar*",
            "nie moge stanac",
            "di ako makatapak",
            "ما اقدر امشي",
            "디딜 수가",
            "nahi rakh pa",
            "cant put weight",
            "cant walk on it",
            "no puedo apoyar",
            "ne peux pas poser",
            "kann nicht auftreten",
            "не могу наступить",
            "pa ka mache sou",
            "non appoggia",
            "nie staje na",
            "не наступает",
            "pa mete pye",
            "hindi makatapak",
            "khong dam chan",
            "ما يدوس",
            "pair nahi rakh",
            "不敢着地",
            "足をつかない",
            "디디지 못",
            "wont put weight",
            "no apoya la pata",
        ),
        "overflowing toilet": (
            "transbord*",
            "deborde",
            "trabocca",
            "ubergelaufen",
            "przelewa",
            "переполн*",
            "debòde",
            "umaapaw",
            "tran ra",
            "فاض",
            "overflow*",
            "溢出",
            "あふれ",
            "넘쳐",
        ),
        "door or gate will not lock": (
            "nao fecha",
            "ne ferme plus",
            "non si chiude",
            "schliesst nicht",
            "nie zamyka sie",
            "не закрывается",
            "pa fèmen",
            "hindi sumasara",
            "khong khoa duoc",
            "ما يتسكر",
            "band nahi ho",
            "关不上",
            "閉まらない",
            "안 잠겨",
            "wont lock",
            "wont close",
            "no cierra",
            "ne se ferme pas",
        ),
    }
)

# More Spanish signs (the phrase trie covers the canonical names; these are how callers describe them).
# fmt: off
EMERGENCY.update({
    "spanish signs": (
        "cerrando la garganta", "se le cierra la garganta", "se me cierra la garganta", "hinchando la lengua",
        "se le hincha la lengua", "lengua hinchada", "hacer dano", "hacerse dano", "lastimarse",
        "quitarse la vida",
        "humo", "sale humo", "saliendo humo", "echando humo", "poniendo morado", "esta morado",
        "se puso azul",
        "se puso morado", "mucha sangre", "no para de sangrar", "sangra mucho", "sangrando mucho",
        "muy dormido",
        "no despierta bien", "adormilado", "somnoliento", "no reacciona", "se revuelca", "zumba",
        "chisporrotea",
        "agua ~ panel electrico", "agua ~ enchufe*", "agua ~ contacto*", "agua ~ lampara", "agua ~ breaker*",
        "agua ~ caja de fusibles", "anticoagulante*", "manchas moradas", "no se quitan al apretar",
        "dejo de respirar",
        "el corazon a mil", "escalofrios y", "ronchas y", "se le atoro", "se atraganto",
        "no puede hablar ni toser",
        "se cayo de", "se pego en la cabeza y", "vomito y", "dolor de cabeza y vomito",
        "todos con dolor de cabeza",
        "calentador ~ toda la noche", "se tomo el agua", "se comio", "se trago", "comio chocolate",
        "comio uvas",
        "lirio*", "veneno", "raticida", "anticongelante", "cloro", "no ha orinado", "no puede orinar",
        "pujando", "lleva pujando", "esta pujando", "se echa y", "muy palido", "frio y sudoroso",
        "sudando frio",
        "habla raro", "no puede mover", "no mueve el brazo", "la cara caida", "boca chueca", "se desvanecio",
    ),
})
# fmt: on

# Doubt is not a condition: "I don't know if he's breathing" is an emergency in any language.
# fmt: off
EMERGENCY["not breathing"] = (*EMERGENCY["not breathing"],
    "sais pas sil respire", "sait pas sil respire", "nao sei se ta respirando", "nao sei se esta respirando",
    "no se si respira", "non so se respira", "weiss nicht ob er atmet", "weiss nicht ob sie atmet",
    "nie wiem czy oddycha", "pa konnen si l ap respire", "hindi ko alam kung humihinga",
    "khong biet con tho khong", "не знаю дышит ли", "ما أعرف إذا يتنفس", "pata nahi saans le",
    "不知道还有没有呼吸", "息してるか分から", "숨 쉬는지 모르",
)
_CHILD_MORE = (
    "petit", "ma petite", "fils", "fille", "hijo", "hija", "filho", "filha", "figlio", "figlia", "sohn",
    "tochter", "kleiner", "syn", "corka", "сын", "дочь", "ti moun", "بنتي", "beta", "beti", "儿子", "女儿",
    "娘", "息子", "애", "아들", "딸", "nina", "son", "daughter", "babys", "babies", "kids", "toddlers",
)
# A child locked in a car in the heat is in danger of heat stroke within minutes: the locked-out pair
# plus any of these is an emergency, not an urgent lockout.
HEAT_IN_A_CAR = (
    "degrees", "hot", "heat", "sun", "calor", "grados", "caliente", "chaleur", "degres", "chaud",
    "graus", "quente", "caldo", "gradi", "hitze", "heiss", "upal", "goraco", "stopni", "жар*",
    "градус*", "init", "mainit", "nong", "cho nang", "حر", "حرارة", "درجة", "garmi", "garam", "很热",
    "高温", "暑い", "暑く", "더워", "더운", "폭염", "sweating", "sudando", "overheating",
)
# fmt: on
HIGH_PRIORITY_COMBOS = tuple(
    (name, first, (*second, *_CHILD_MORE) if name == "locked out with a child" else second)
    for name, first, second in HIGH_PRIORITY_COMBOS
)
# fmt: off
EMERGENCY["stroke signs"] = (
    *EMERGENCY["stroke signs"], "含糊不清", "拿不住", "半边身子", "动不了", "倒在地上",
)
EMERGENCY["poisonous to a pet"] = (*EMERGENCY["poisonous to a pet"], "百合", "tho ha mo", "tho ha mieng")
# fmt: on
EMERGENCY["not breathing"] = (*EMERGENCY["not breathing"], "وما يتنفس", "وما تتنفس", "ومش بيتنفس")
EMERGENCY["not breathing"] = (*EMERGENCY["not breathing"], "sais pas s il respire", "sait pas s il respire")
EMERGENCY["gas or carbon monoxide"] = (*EMERGENCY["gas or carbon monoxide"], "gas 味", "瓦斯味道", "煤气味道")
EMERGENCY["suicide"] = (*EMERGENCY["suicide"], "要跳下去", "跳楼", "想跳", "飛び降り", "뛰어내리")

# Emergencies a caller narrates without naming them: what happened (or to whom) and a sign of how bad,
# anywhere in the line (concept, first phrases, second phrases), each half judged in its own scope.
# A head knock alone is routine and so is vomiting; a head knock and then vomiting is a brain injury.
# fmt: off
_HEAD_HIT = (
    "hit his head", "hit her head", "hit my head", "hit their head", "hit the head", "bumped his head",
    "bumped her head", "banged his head", "banged her head", "hard hit", "hit to the head",
    "hit in the head", "head injury", "concussion", "fell and hit", "knocked his head", "knocked her head",
    "golpeo la cabeza", "golpe en la cabeza", "se pego en la cabeza", "se golpeo la cabeza",
    "pego la cabeza", "cogne la tete", "cogne ~ tete", "coup sur la tete", "coup a la tete", "choc a la tete",
    "bateu a cabeca", "bateu com a cabeca", "pancada na cabeca", "batida na cabeca", "sbattuto la testa",
    "battuto la testa", "colpo alla testa", "botta in testa", "kopf angeschlagen", "kopf ~ gestossen",
    "kopf ~ geschlagen", "auf den kopf gefallen", "kopfverletzung", "gehirnerschutterung",
    "uderzyl sie w glowe", "uderzyla sie w glowe", "uderzenie w glowe", "uderzyl* ~ glow*", "wstrzas mozgu",
    "frape tet", "frape ~ tet", "kogne tet", "nauntog", "nabagok ang ulo", "tumama ang ulo",
    "nauntog ang ulo",
    "dap dau", "bi dap dau", "va dau", "dau bi dap", "chan thuong dau", "ударил* головой",
    "ударил* ~ голов*", "удар* по голове", "травм* голов*", "сотрясени*", "udaril* golovoy",
    "udarilsya golovoy", "ضرب راسه", "ضربت راسها", "ضرب راسها", "وضرب راسه", "وضربت راسها", "انضرب راسه",
    "خبط راسه",
    "وخبط راسه", "انضرب على راسه", "darab raso",
    "darabet rasa", "darab rasu", "sir pe chot", "sar pe chot", "sir mein chot", "sir par chot",
    "撞到头", "撞了头", "头撞", "磕到头", "摔到头", "撞到頭", "頭を打", "頭をぶつけ", "頭を強く",
    "머리를 부딪", "머리를 박", "머리를 다쳤", "머리 다쳤", "머리를 세게",
)
_HEAD_SIGNS = (
    "vomi*", "erbrich*", "erbroch*", "wymiot*", "рвет", "рвёт", "рвота", "рвало", "nagsusuka", "sumuka",
    "يرجع", "بيرجع", "يستفرغ", "yestafreg", "3am yestafreg", "ulti", "吐", "토해", "토했", "토하", "구토",
    "throwing up", "threw up", "throw up", "sleepy", "drowsy", "confused", "same question", "wont wake",
    "pupil", "out of it", "somnol*", "confus*", "sonolent*", "muito sono", "tanto sonno", "sonnolent*",
    "schlafrig", "benommen", "verwirrt", "senn*", "zdezorientowan*", "konfize", "dodo", "antok", "inaantok",
    "nalilito", "buon ngu", "lu lan", "сонн*", "путает*", "spit", "rvet", "rvot", "toshnit", "sonn*",
    "sonliv*", "نعسان", "ناعس", "مو مركز", "neend",
    "想睡", "嗜睡", "迷糊", "糊涂", "眠そう", "ぼーっと", "졸려", "멍해", "non mua", "oi mua", "nôn",
)
_HOT = (
    "in the sun", "in this heat", "in the heat", "hot car", "mowing", "au soleil", "la canicule",
    "la chaleur", "no sol", "al sol", "bajo el sol", "el calor", "al sole", "il caldo", "in der sonne",
    "hitze", "na sloncu", "w upale", "upal", "nan soley", "nan chale", "sa araw", "nasa araw", "sa init",
    "nasa init", "nabilad", "bilad",
    "ngoai nang", "duoi nang", "troi nang", "на солнце", "жара", "жаре", "na solntse", "v zharu",
    "في الشمس", "تحت الشمس", "الحر", "dhoop", "garmi", "太阳", "晒", "炎天下", "日差し", "暑い中",
    "땡볕", "햇볕", "더위", "폭염", "tai yang",
)
_CONFUSED = (
    "confused", "not making sense", "out of it", "confus*", "desorient*", "verwirrt", "durcheinander",
    "zdezorientowan*", "splatan*", "konfize", "nalilito", "lito", "lu lan", "me man", "путает*",
    "спутан*", "putaetsya", "putaet*", "مو مركز", "مش مركز", "مشوش", "behki", "糊涂", "迷糊", "神志不清",
    "胡言乱语", "hu li hu tu", "hu tu", "混乱", "もうろう", "정신이 없", "횡설수설", "stopped sweating",
)
_FEVER_ANY = (
    "fever", "temperature", "a temp", "fiebre", "calentura", "fievre", "febre", "febbre", "fieber",
    "goraczk*", "температур*", "lafyev", "lagnat", "sot", "حرارة", "حمى", "bukhar", "发烧", "发热", "熱",
    "열이", "고열",
)
_YOUNG_INFANT = (
    "week old", "weeks old", "days old", "day old", "newborn", "one month old", "two month old",
    "1 month old", "2 month old", "recien nacid*", "semanas de nacid*", "semanas de vida",
    "bebe de ~ semanas",
    "semaines de vie", "bebe de ~ semaines", "nourrisson", "settimane di vita", "neonat*", "wochen alt",
    "tygodniow*", "недельн*", "nedel* rebenok", "semen selman", "linggo pa lang", "tuan tuoi", "so sinh",
    "رضيع", "عمره اسبوع", "عمره اسابيع", "hafte ka", "hafte ki", "新生儿", "周大", "个星期大",
    "週間の赤ちゃん",
    "新生児", "주 된", "신생아", "bebe ~ mois", "bebe ~ mes*", "baby ~ monat*", "niemowl*", "младен*",
    "малыш* ~ месяц*", "tibebe ~ mwa", "em be ~ thang", "bachcha ~ mahine", "宝宝 ~ 个月", "생후",
    "아기 ~ 개월", "month old baby",
)
_SEPSIS_SIGNS = (
    "reconnait plus", "reconnait pas", "doesnt recognize", "does not recognize", "no me reconoce",
    "no reconoce", "nao me reconhece", "nao reconhece", "non mi riconosce", "erkennt mich nicht",
    "nie poznaje", "не узнает", "не узнаёт", "pa rekonet", "hindi ako nakikilala", "khong nhan ra",
    "ما يعرفني", "pehchan nahi", "不认识", "わからない", "못 알아",
    "out of it", "confused", "mottled", "blotchy", "hard to wake", "wont wake", "confus*", "desorient*",
    "verwirrt", "konfize", "nalilito", "lu lan", "путает*", "مو مركز", "糊涂", "もうろう", "정신이 없",
    "heart is racing", "heart racing",
)
_TESTICLE = (
    "testicle*", "testicul*", "testes", "testiculo", "testicule", "testicolo", "hoden", "jadr*", "jadro",
    "яичк*", "yaichk*", "خصية", "الخصية", "خصيته", "睾丸", "精巣", "고환", "bayag", "tinh hoan", "grenn",
    "andkosh", "andakosh",
)
_PAIN = (
    "pain", "hurt*", "dolor", "duele", "douleur", "mal", "dor", "doi", "dolore", "fa male", "schmerz*", "weh",
    "bol*", "боли*", "боль", "doule", "fe mal", "masakit", "sakit", "dau", "وجع", "الم", "يوجع", "dard",
    "疼", "痛", "아파", "통증", "swollen", "hinchad*", "inchad*", "gonfl*", "geschwollen", "opuch*",
    "опух*", "sung",
)
_PREGNANT = (
    "pregnant", "embarazada", "enceinte", "gravida", "gravid*", "incinta", "schwanger", "w ciazy", "ciazy",
    "беремен*", "beremenn*", "ansent", "buntis", "mang thai", "co thai", "co bau", "حامل", "garbhvati",
    "pregnant hoon", "怀孕", "懷孕", "妊娠", "임신",
)
_PREGNANCY_SIGNS = (
    "one side", "sharp pain", "dizzy", "faint*", "shoulder", "bleeding", "sangr*", "saign*", "sangu*",
    "blut*", "krwaw*", "кровотеч*", "кровь", "senyen", "dinudugo", "chay mau", "ra mau", "نزيف", "khoon",
    "出血", "流血", "출혈", "marea*", "mareo", "vertige", "etourdi*", "tontur*", "vertigin*", "schwindel*",
    "zawrot*", "головокруж*", "tet vire", "nahihilo", "chong mat", "دوخة", "chakkar", "头晕", "めまい",
    "어지러", "un lado", "un cote", "de um lado", "lato", "auf einer seite", "z jednej strony",
    "с одной стороны", "一边", "片側", "한쪽",
)
_DIABETIC = (
    "diabetic", "type one", "type 1", "type i", "diabetes", "diabetico", "diabetica", "diabetique", "diabete",
    "diabetiker", "cukrzyc*", "диабет*", "diabet*", "dyabet*", "diabetiko", "tieu duong", "سكري",
    "sugar ka", "糖尿病", "당뇨",
)
_DKA_SIGNS = (
    "fruity", "breathing fast", "breathing really fast", "breathing hard", "breathing so fast", "ketone*",
    "cetona*", "cetone*", "ketonen", "кетон*", "sugar is high", "sugar is over", "reads high", "says hi",
    "vomit*", "throwing up", "confused", "frutal", "respira rapido", "haleine", "fruite*", "respire vite",
    "halito", "respira muito rapido", "alito", "atmet schnell", "oddycha szybko", "дышит часто",
    "тошнит", "рвет",
    # low sugar: sweating, shaking, confused
    "sweaty", "shaky", "cold sweat", "sweating", "shaking", "pinagpapawisan", "nanginginig", "sudando",
    "tembl*", "sueur*", "transpire", "suando", "tremendo", "suda", "trema", "schwitzt", "zittert", "poci sie",
    "trzesie", "потеет", "дрожит", "swe", "tranble", "va mo hoi", "run ray", "يعرق", "يرجف", "paseena",
    "kaanp", "出汗", "发抖", "冷や汗", "震え", "식은땀", "떨", "not making sense", "out of it",
)
_LABOUR = (
    "in labor", "in labour", "been pushing", "went into labor", "de parto", "pariendo", "en travail",
    "mise bas", "in travaglio", "partorendo", "in den wehen", "wehen seit", "rodzi", "w trakcie porodu",
    "straining for", "been straining", "straining since",
    "ap akouche", "nanganganak", "dang de", "sap de", "рожает", "роды", "تولد", "بتولد", "janam de rahi",
    "在生", "生不出来", "难产", "お産", "分娩中", "출산 중", "새끼를 낳",
)
_LABOUR_LONG = (
    "hours", "since", "nothing", "no puppies", "no puppy", "no kittens", "no kitten", "no calf", "no foal",
    "still no", "horas", "heures", "ore", "stunden", "godzin*", "часа", "часов", "edtan", "oras", "tieng",
    "ساعات", "ghante", "nada", "rien", "niente", "nichts", "nic", "ничего", "anyen", "wala", "khong ra",
    "ما طلع", "kuch nahi", "小时", "没出来", "時間", "出てこない", "시간", "안 나와",
)
# fmt: on
EMERGENCY_COMBOS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("head injury with signs", _HEAD_HIT, _HEAD_SIGNS),
    ("heat illness", _HOT, _CONFUSED),
    ("fever in a young baby", _YOUNG_INFANT, _FEVER_ANY),
    ("fever and confusion", _FEVER_ANY, _SEPSIS_SIGNS),
    ("testicle pain", _TESTICLE, _PAIN),
    ("pregnancy warning signs", _PREGNANT, _PREGNANCY_SIGNS),
    ("diabetic crisis", _DIABETIC, _DKA_SIGNS),
    ("labour with no delivery", _LABOUR, _LABOUR_LONG),
)
# fmt: off
EMERGENCY["heat stroke"] = (*EMERGENCY["heat stroke"],
    "heat stroke", "heatstroke", "coup de chaleur", "insolacion", "golpe de calor", "insolacao",
    "colpo di calore", "hitzschlag", "udar cieplny", "тепловой удар", "teplovoy udar", "ضربة شمس",
    "lu lag", "say nang", "soc nhiet", "中暑", "열사병",
)
EMERGENCY["gas or carbon monoxide"] = (*EMERGENCY["gas or carbon monoxide"],
    "smierdzi gazem", "pachnie gazem", "czuc gazem", "amoy gaas", "amoy ng gas", "amoy ng gaas",
    "tagas ng gaas", "mui gas", "mui khi gas", "mui ga", "ro ri gas", "pakhnet gazom", "zapakh gaza",
    "pahnet gazom",
    "ri7et gaz", "ri7it gaz", "rihet gaz", "ri7a gaz", "ri7et ghaz", "smell gas", "smells like gas",
    "smell of gas", "gas smell", "gaz koku", "gas ki boo", "gas ki gandh", "煤气的味道", "가스냄새",
)
EMERGENCY["animal toxin"] = (*EMERGENCY["animal toxin"],
    "czekolad* gorzk*", "gorzk* czekolad*", "gorzkiej czekolady", "chocolate negro", "dark chocolate",
    "baking chocolate", "шоколад* горьк*", "горьк* шоколад*", "chocolate den", "socola den",
    "黑巧克力", "ダークチョコ", "다크 초콜릿", "chokola nwa", "dark choco", "madilim na tsokolate",
    "cioccolato amaro", "bitterschokolade", "chocolat a cuire", "rozyn*", "xylit*",
)
# fmt: on
# fmt: off
EMERGENCY[ "chest pain" ] = (*EMERGENCY[ "chest pain" ], "胸口很痛", "胸口好痛", "胸口 ~ 痛", "胸口 ~ 疼",
"心口 ~ 痛" )
EMERGENCY["bloat or blocked cat"] = (*EMERGENCY["bloat or blocked cat"],
    "kocur ~ nie sika", "w kuwecie i nic", "kuwecie ~ nic nie", "kater ~ kein urin", "kater ~ pinkelt nicht",
    "gato macho ~ no orina", "gato macho ~ no hace pipi", "chat male ~ rien ne sort", "chat male ~ pipi",
    "gatto maschio ~ pipi", "кот ~ не может пописать", "кот ~ не писает", "公猫 ~ 尿不出",
    "オス猫 ~ おしっこ",
    "수컷 고양이 ~ 소변",
)
# fmt: on

# More narrated emergencies: an exposure and a sign of how bad (anaphylaxis, hypothermia).
# fmt: off
_SWELLING = (
    "swell*", "swollen", "puffy", "puchn*", "spuchn*", "sooj*", "붓고", "부어", "부었", "腫れ", "肿", "منتفخ",
    "انتفخ", "وارم", "опух*", "отек*", "anfle", "namamaga", "sung", "inchad*", "inchan*", "hinch*", "gonfi*",
    "gonfl*", "schwell*", "geschwollen",
)
_SWALLOW = (
    "swallow*", "przelkn*", "nigal*", "삼키", "飲み込", "咽不下", "吞不下", "يبلع", "البلع", "глота*",
    "vale", "lumunok", "nuot", "engolir", "deglutire", "deglut*", "schlucken", "avaler", "tragar", "hives",
    "ronchas", "wheez*", "urticaire", "urticaria", "nesselsucht", "pokrzywk*", "крапивниц*", "pantal",
    "me day", "荨麻疹", "じんましん", "두드러기",
)
_COLD_EXPOSURE = (
    "in the snow", "in the cold", "through the ice", "en la nieve", "en el frio", "el hielo", "dans le froid",
    "dans la neige", "la glace", "no frio", "na neve", "nel freddo", "nella neve", "im schnee",
    "in der kalte",
    "ins eis", "na mrozie", "w sniegu", "pod lod", "под лед", "под лёд", "в снегу", "на морозе", "nan fredi",
    "nan lanej", "sa lamig", "sa yelo", "ngoai troi lanh", "trong tuyet", "في البرد", "في الثلج",
    "thand mein", "barf mein", "在雪", "冰窟窿", "掉进冰", "雪の中", "寒い中", "氷の", "눈 속", "얼음",
    "추운 데", "outside all night", "dehors toute la nuit",
)
_HYPOTHERMIA_SIGNS = (
    "shaking", "shivering", "mumbling", "slurred", "wont talk", "not talking", "confused", "temblando",
    "tiembla", "arrastrad*", "no habla", "tremble*", "grelotte", "ne parle", "glace", "tremendo", "nao fala",
    "trema", "non parla", "zittert", "spricht nicht", "trzesie", "nie mowi", "трясет*", "трясёт*", "дрожит",
    "не разговаривает", "не говорит", "tranble", "pa pale", "nanginginig", "hindi nagsasalita", "run ray",
    "khong noi", "يرجف", "ما يتكلم", "kaanp", "bol nahi", "发抖", "不说话", "震え", "話さない", "떨",
    "말을 안", "confus*", "verwirrt", "путает*",
)
# fmt: on
EMERGENCY_COMBOS = (
    *EMERGENCY_COMBOS,
    ("swelling and swallowing", _SWELLING, _SWALLOW),
    ("hypothermia", _COLD_EXPOSURE, _HYPOTHERMIA_SIGNS),
)
# fmt: off
EMERGENCY["stroke signs"] = (*EMERGENCY["stroke signs"],
    "片方垂れ", "顔が垂れ", "한쪽이 처지", "말이 어눌", "어눌해", "وجهه مايل", "وجهها مايل", "كلامه ثقيل",
    "كلامها ثقيل", "لسانه ثقيل", "chehra ~ latak", "ek taraf latak",
)
EMERGENCY["suicide"] = (*EMERGENCY["suicide"],
    "не хочу больше жить", "жить не хочу", "ابي اموت", "اموت نفسي", "sie zabic", "nie chce zyc",
    "je veux mourir", "quiero morirme", "me quiero morir", "quiero matarme", "me quiero matar",
)
EMERGENCY["seizure"] = (*EMERGENCY["seizure"], "приступ", "pristup")
# fmt: on
EMERGENCY["bloat or blocked cat"] = (
    *EMERGENCY["bloat or blocked cat"],
    "лоток ~ ничего не",
    "в лоток и ничего",
)

# A swallowed button battery or magnet burns through tissue within hours, whatever the child looks like.
# fmt: off
_SWALLOWED_ANY = (
    *_SWALLOWED, "swallow*", "avale*", "engoliu", "engoli*", "vale", "nuot", "проглотил*", "吞", "飲み込",
    "삼켰", "삼킨", "بلع", "nigal", "se trago", "trago", "inghiott*", "polknel*", "lumunok", "nakalunok",
)
_BATTERY = (
    "battery", "batteries", "pile", "piles", "pil", "pila", "pilas", "bateria", "baterias", "batteria",
    "batterie", "knopfbatterie", "bateri*", "baterya", "батарейк*", "batareyk*", "pin cuc", "vien pin",
    "cuc pin",
    "电池", "電池", "전지", "건전지", "بطارية", "بطاريه", "magnet*", "iman", "imanes", "aimant*", "ima",
    "magnete", "magneti", "magnes*", "магнит*", "nam cham", "磁铁", "磁石", "자석", "مغناطيس", "chumbak",
)
# fmt: on
EMERGENCY_COMBOS = (*EMERGENCY_COMBOS, ("swallowed a battery or magnet", _SWALLOWED_ANY, _BATTERY))

# A fall the caller cannot get up from (hip fracture, hypothermia on the floor).
# fmt: off
_FELL = (
    "fell", "fallen", "has fallen", "slipped", "se cayo", "me cai", "se cayó", "tombe*", "tombée", "caiu",
    "cai", "caduto", "caduta", "gesturzt", "hingefallen", "upadl*", "przewrocil*", "упал*", "tonbe",
    "nahulog", "nadapa", "natumba", "bi nga", "te", "وقع", "وقعت", "gir gaya", "gir gayi", "摔倒", "跌倒",
    "転んで", "転倒", "넘어져", "넘어졌",
)
_CANT_GET_UP = (
    "cant get up", "cannot get up", "can not get up", "unable to get up", "no puede levantarse",
    "no me puedo levantar", "no se puede levantar", "peut pas se relever", "peux pas me relever",
    "arrive pas a se relever", "nao consegue levantar", "nao consigo levantar", "non riesce ad alzarsi",
    "non riesco ad alzarmi", "kommt nicht hoch", "kann nicht aufstehen", "nie moze wstac", "nie moge wstac",
    "не может встать", "не могу встать", "pa ka leve", "hindi makatayo", "di makatayo", "khong dung day",
    "ما يقدر يقوم", "ما اقدر اقوم", "uth nahi", "uth nahin", "起不来", "起き上がれ", "못 일어나",
)
# fmt: on
EMERGENCY_COMBOS = (*EMERGENCY_COMBOS, ("fall and cannot get up", _FELL, _CANT_GET_UP))

# More urgent pairs: a pet's small wound that bleeds, a lost filling that hurts, a cold room that died.
# fmt: off
_PET = (
    "dog", "dogs", "cat", "cats", "puppy", "kitten", "perro", "perrito", "gato", "gata", "chien", "chat",
    "cachorro", "gatinho", "cane", "gatto", "hund", "katze", "pies", "psa", "kot", "kota", "собак*", "кот*",
    "kosh*", "sobak*", "chen", "aso", "pusa", "con cho", "con meo", "cho", "meo", "كلب", "الكلب", "قطة",
    "القطة", "kutta", "kutte", "billi", "狗", "猫", "犬", "강아지", "고양이", "개가",
)
_BLEEDS = (
    "bleed*", "sangr*", "saign*", "blut*", "krwaw*", "кров*", "senyen", "dugo", "dumudugo", "chay mau",
    "ra mau", "دم", "ينزف", "khoon", "流血", "出血", "血が", "피가", "피 나",
)
_FILLING = (
    "filling", "plomba", "plombe", "пломба", "empaste", "plombage", "obturacao", "otturazione", "fullung",
    "plonbaj", "pasta ng ngipin", "tram rang", "حشوة", "الحشوة", "补牙", "詰め物", "때운",
)
_COOLER = (
    "walk in cooler", "walk in freezer", "the cooler", "the freezer", "chambre froide", "camara fria",
    "cuarto frio", "cella frigorifera", "kuhlraum", "kuhlhaus", "chlodnia", "холодильная камера",
    "морозильн*", "kho lanh", "الثلاجة", "cold storage", "冷库", "冷蔵庫", "冷凍庫", "냉동고", "냉장고",
)
_BROKE_DOWN = (
    "died", "broke", "broken", "stopped", "not working", "quit", "se descompuso", "dejo de", "no funciona",
    "en panne", "parou", "quebrou", "rotta", "guasto", "non funziona", "kaputt", "ausgefallen", "zepsul*",
    "сломал*", "не работает", "pa mache", "sira", "hong", "خربانة", "خربت", "kharab", "坏了", "停了",
    "壊れ", "止ま", "고장",
)
# fmt: on
HIGH_PRIORITY_COMBOS = (
    *HIGH_PRIORITY_COMBOS,
    ("pet wound that bleeds", _PET, _BLEEDS),
    ("lost filling that hurts", _FILLING, _PAIN),
    ("cold storage down", _COOLER, _BROKE_DOWN),
)
# fmt: off
HIGH_PRIORITY["out of medication"] = (
    "ran out of my", "out of my meds", "out of my medication", "out of my insulin", "ran out of insulin",
    "se me acabo la", "se me acabaron", "se me termino", "plus de medicament", "plus de comprimes",
    "acabou o remedio", "acabaram os remedios", "finite le medicine", "finito le pastiglie",
    "keine tabletten mehr", "medikamente sind alle", "skonczyly mi sie leki", "skonczyly sie leki",
    "закончились таблетки", "закончилось лекарство", "fin medikaman", "naubusan ng gamot", "het thuoc",
    "خلص الدوا", "خلصت الادوية", "dawai khatam", "药吃完了", "약이 떨어",
)
HIGH_PRIORITY["no water at all"] = (
    "no running water", "no water at all", "no water in the building", "sin agua en todo",
    "nos cortaron el agua",
    "pas d eau du tout", "plus d eau", "sem agua nenhuma", "senza acqua", "kein wasser mehr", "nie ma wody",
    "нет воды", "pa gen dlo ditou", "walang tubig", "mat nuoc", "khong co nuoc", "مافي مويه", "ما فيه مويه",
    "paani nahi aa raha", "停水", "没水了", "断水", "水が出ない", "물이 안 나와", "단수",
)
# fmt: on
# fmt: off
HIGH_PRIORITY["burst pipe or flooding"] = (*HIGH_PRIORITY["burst pipe or flooding"],
    "rohr ~ geplatzt", "steht unter wasser", "leitung ~ geplatzt", "pekla ~ rura", "rompio ~ tubo",
    "se rompio una tuberia", "tuyau ~ pete", "cano ~ furou", "tubo ~ scoppiato", "truba ~ lopnul*",
)
HIGH_PRIORITY["cannot bear weight"] = (*HIGH_PRIORITY["cannot bear weight"],
    "peux pas marcher", "peut pas marcher", "no puedo caminar", "no puede caminar", "nao consigo andar",
    "nao consegue andar", "non riesco a camminare", "kann nicht laufen", "nie moge chodzic", "не могу ходить",
    "pa ka mache", "hindi makalakad", "khong di duoc", "ما اقدر امشي", "chal nahi pa", "走不了路", "歩けない",
    "걸을 수가 없",
)
HIGH_PRIORITY["overflowing toilet"] = (*HIGH_PRIORITY["overflowing toilet"],
    "esce dappertutto", "acqua esce", "sale el agua", "l eau sort", "agua saindo",
)
# fmt: on

# Sudden change: "suddenly" and a neurological sign is a stroke until proven otherwise; a child or pet
# that drank a household chemical is a poisoning before any sign.
# fmt: off
_SUDDEN = (
    "suddenly", "all of a sudden", "out of nowhere", "de repente", "de pronto", "soudain*", "tout a coup",
    "tout d un coup", "do nada", "improvvisamente", "all improvviso", "plotzlich", "nagle", "вдруг",
    "внезапно", "vdrug", "toudenkou", "sibit", "biglang", "bigla", "tu nhien", "dot nhien", "فجأة", "فجاة",
    "achanak", "突然", "忽然", "急に", "갑자기",
)
_NEURO = (
    "numb*", "weak*", "cant speak", "cant talk", "collapsed", "not answering", "slurr*",
    "one side", "麻", "说不出", "倒", "話せ", "返事がない", "返事がありません", "返事をしない", "말을 못",
    "쓰러", "대답이 없", "대답을 안", "ما ترد", "ما يرد", "وما ترد", "وما يرد",
    "hindi makapagsalita", "di makapagsalita", "hindi makasagot", "онемел*", "не может говорить",
    "не отвечает", "nie moze mowic", "nie odpowiada", "kann nicht sprechen", "gelahmt",
    "taub", "zusammengebrochen", "umgekippt", "non riesce a parlare",
    "formicol*", "nao consegue falar", "dormente", "desmaiou", "ne peut plus parler",
    "engourdi*", "s est effondre*", "no puede hablar", "entumid*", "se desplomo",
    "bol nahi", "sunn", "麻痺", "痺れ", "저려", "마비", "pa ka pale", "noi ngong",
    "khong noi duoc", "te liet", "jawab nahi",
)
_DRANK = (
    *_SWALLOWED_ANY, "drank", "drunk", "drinking", "ate", "bebio", "tomo", "se tomo", "a bu", "bu du",
    "bebeu", "tomou", "bevuto", "ha bevuto", "getrunken", "wypil*", "выпил*", "vypil*", "bwe", "uminom",
    "nakainom", "uong", "uong phai", "شرب", "شربت", "pee li", "pi liya", "喝了", "飲んで", "飲んだ",
    "마셨", "먹었",
)
_CHEMICAL = (
    "bleach", "detergent", "dish soap", "dishwasher", "laundry pod*", "tide pod*", "drain cleaner",
    "oven cleaner", "lye", "cleaning fluid", "pesticide", "weed killer", "gasoline", "kerosene",
    "lejia", "cloro", "clorox", "detergente", "destapacaños", "javel", "eau de javel", "lessive",
    "produit menager", "agua sanitaria", "candeggina", "varechina", "bleiche", "putzmittel",
    "spulmittel", "plyn do naczyn", "wybielacz", "domestos", "kret", "хлорк*", "отбеливател*",
    "белизн*", "моющ*", "средство для", "klowòks", "klorox", "savon likid", "zonrox", "sabon panlaba",
    "thuoc tay", "nuoc rua chen", "nuoc tay", "كلور", "كلوركس", "منظف", "فلاش", "تايد", "phenyl",
    "harpic", "surf excel", "漂白", "洗洁精", "洗衣液", "消毒液", "洗剤", "漂白剤", "ハイター", "락스",
    "세제", "표백제", "농약", "veneno para",
)
# fmt: on
EMERGENCY_COMBOS = (
    *EMERGENCY_COMBOS,
    ("sudden neurological change", _SUDDEN, _NEURO),
    ("drank a household chemical", _DRANK, _CHEMICAL),
)
HIGH_PRIORITY["overflowing toilet"] = (*HIGH_PRIORITY["overflowing toilet"], "desbord*", "se tapo ~ bano")
# Ice packs may hold ethylene glycol, the toxin in antifreeze.
EMERGENCY["animal toxin"] = (*EMERGENCY["animal toxin"], "保冷剤", "ice pack gel", "gel ice pack", "아이스팩")
