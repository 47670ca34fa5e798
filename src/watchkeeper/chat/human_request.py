# ruff: noqa: RUF001, RUF002, RUF003  (full-width, CJK and Turkish letters in phrases are meant)
"""Is the customer asking for a person? A curated phrase list per language, matched after one
normalisation, so "talk to a human", "转人工", "オペレーターをお願いします" and "Mitarbeiter bitte" all hand
the chat over, while "how do I withdraw to my agent's wallet?" does not.

Why phrases and not the FAQ matcher: the request must work before any article is trained and must not
lose to a look-alike article; a short list that support staff can read and extend beats a model here.

Normalisation (the same for phrases and messages): NFKC and case folding, Traditional Chinese folded to
Simplified, accents stripped (so "atendente" = "atendênte", "nhan vien" = "nhân viên"), punctuation to
spaces, articles dropped ("talk to a human" = "talk to the human" = "talk to human"). Two kinds of entries:

- phrases: an intent wherever it occurs ("talk to human", "转人工", "상담원 연결"). Latin and Cyrillic
  phrases match whole words; Chinese, Japanese and Korean phrases match anywhere, spaces ignored.
- words alone: ambiguous words ("agent", "human", "人工", "оператор") count only when they are the whole
  message, give or take politeness ("agent please", "人工，谢谢"). So a question that merely mentions an
  agent, a person or 人工智能 stays with the bot.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from watchkeeper.search import analysis

# -- English ---------------------------------------------------------------------------------------
_EN_NOUNS = [
    "human",
    "person",
    "agent",
    "representative",
    "rep",
    "operator",
    "someone",
    "somebody",
    "staff",
    "real person",
    "real human",
    "live agent",
    "live person",
    "human agent",
    "human being",
    "support agent",
    "support staff",
    "customer service",
    "customer support",
    "employee",
]
_EN_VERBS = [
    "talk to",
    "talk with",
    "speak to",
    "speak with",
    "chat with",
    "connect me to",
    "connect me with",
    "transfer me to",
    "put me through to",
    "pass me to",
    "get me",
    "give me",
    "i want",
    "i need",
    "i would like",
    "i'd like",
]
_EN = [
    *(f"{verb} {noun}" for verb in _EN_VERBS for noun in _EN_NOUNS),
    "real person",
    "real human",
    "live agent",
    "live person",
    "human agent",
    "human support",
    "human please",
    "not a bot",
    "not bot",
    "stop the bot",
]
_EN_ALONE = ["human", "person", "agent", "representative", "operator", "live chat", "support", *_EN_NOUNS]

# -- Chinese (Traditional is folded to Simplified first; Cantonese forms included) ----------------------
_ZH = [
    "转人工",
    "转接人工",
    "人工客服",
    "人工服务",
    "人工坐席",
    "人工座席",
    "找人工",
    "要人工",
    "接人工",
    "真人客服",
    "找真人",
    "要真人",
    "和真人",
    "跟真人",
    "同真人",
    "真人对话",
    "真人聊",
    "客服人员",
    "在线客服",
    "联系客服",
    "找客服",
    "转客服",
    "专人服务",
    "找专人",
    "客服专员",
    "搵人工",
    "搵真人",
    "唔该人工",
]
_ZH_ALONE = ["人工", "真人", "客服", "人工客服", "真人客服", "专人"]

# -- Japanese ----------------------------------------------------------------------------------------
_JA = [
    *(
        f"{noun}{particle}"
        for noun in ("オペレーター", "オペレータ")
        for particle in ("と", "に", "を", "へ", "対応")
    ),
    "担当者と話",
    "担当者につな",
    "担当者に代わ",
    "担当者をお願い",
    "人と話",
    "人間と話",
    "人間に代わ",
    "人間につな",
    "有人対応",
    "有人チャット",
    "スタッフと話",
    "スタッフにつな",
    "サポート担当者",
    "カスタマーサポートにつな",
]
_JA_ALONE = ["オペレーター", "オペレータ", "担当者", "人間", "有人", "スタッフ", "有人対応"]

# -- Korean ------------------------------------------------------------------------------------------
_KO = [
    *(
        f"{noun}{tail}"
        for noun in ("상담원", "상담사", "직원", "담당자")
        for tail in ("연결", "과", "와", "이랑", "하고", "랑", "바꿔", "불러", "좀", "한테")
    ),
    *(
        f"{noun}{verb}"
        for noun in ("사람과", "사람이랑", "사람하고", "사람한테", "실제 사람", "진짜 사람")
        for verb in ("대화", "얘기", "이야기", "통화", "연결", "상담")
    ),
    "실제 사람",
    "진짜 사람",
    "사람 연결",
    "사람 상담",
]
_KO_ALONE = ["상담원", "상담사", "직원", "사람", "담당자", "상담원요", "상담"]

# -- Russian -----------------------------------------------------------------------------------------
_RU_NOUNS = [
    "оператор",
    "оператора",
    "оператором",
    "человек",
    "человека",
    "человеком",
    "сотрудник",
    "сотрудника",
    "сотрудником",
    "специалист",
    "специалиста",
    "специалистом",
    "консультант",
    "консультанта",
    "консультантом",
    "менеджер",
    "менеджера",
    "менеджером",
    "живой человек",
    "живого человека",
    "живым человеком",
    "живой оператор",
    "живого оператора",
    "живым оператором",
]
_RU_VERBS = [
    "позовите",
    "позови",
    "соедините с",
    "соедините меня с",
    "соедини с",
    "свяжите с",
    "свяжите меня с",
    "переключите на",
    "переключи на",
    "переведите на",
    "поговорить с",
    "говорить с",
    "связаться с",
    "общаться с",
    "пообщаться с",
    "хочу",
    "нужен",
    "нужна",
    "дайте",
]
_RU = [
    *(f"{verb} {noun}" for verb in _RU_VERBS for noun in _RU_NOUNS),
    "живой человек",
    "живого человека",
    "живым человеком",
    "живой оператор",
]
_RU_ALONE = [
    "оператор",
    "оператора",
    "человек",
    "человека",
    "сотрудник",
    "специалист",
    "консультант",
    "менеджер",
]

# -- Spanish -----------------------------------------------------------------------------------------
_ES_NOUNS = [
    "humano",
    "persona",
    "persona real",
    "agente",
    "operador",
    "asesor",
    "representante",
    "alguien",
    "ejecutivo",
]
_ES_VERBS = [
    "hablar con",
    "comunicarme con",
    "contactar con",
    "pasame con",
    "paseme con",
    "conectame con",
    "conectarme con",
    "transfiereme a",
    "quiero",
    "necesito",
]
_ES = [*(f"{verb} {noun}" for verb in _ES_VERBS for noun in _ES_NOUNS), "persona real", "atencion humana"]
_ES_ALONE = ["humano", "agente", "operador", "asesor", "representante", "persona"]

# -- Portuguese --------------------------------------------------------------------------------------
_PT_NOUNS = ["atendente", "humano", "pessoa", "pessoa real", "agente", "operador", "consultor", "alguem"]
_PT_VERBS = [
    "falar com",
    "conversar com",
    "me passa para",
    "me passe para",
    "me transfere para",
    "me transfira para",
    "transferir para",
    "chama",
    "chamar",
    "quero",
    "preciso de",
]
_PT = [
    *(f"{verb} {noun}" for verb in _PT_VERBS for noun in _PT_NOUNS),
    "atendimento humano",
    "suporte humano",
    "pessoa de verdade",
]
_PT_ALONE = ["atendente", "humano", "atendimento humano", "agente", "operador", "atendimento"]

# -- Vietnamese (accents stripped, đ folded to d) ------------------------------------------------------
_VI = [
    "gap nhan vien",
    "gap tu van vien",
    "noi chuyen voi nhan vien",
    "noi chuyen voi nguoi",
    "noi chuyen voi tu van vien",
    "ket noi nhan vien",
    "ket noi voi nhan vien",
    "ket noi tu van vien",
    "chuyen nhan vien",
    "chuyen sang nhan vien",
    "can nhan vien",
    "muon gap nhan vien",
    "nhan vien ho tro",
    "nhan vien tu van",
    "nhan vien cskh",
    "nguoi that",
    "tong dai vien",
    "gap tong dai vien",
]
_VI_ALONE = ["nhan vien", "tu van vien", "nguoi that", "tong dai vien", "cskh", "cham soc khach hang"]

# -- Turkish (ı folded to i, accents stripped) -----------------------------------------------------------
_TR = [
    "musteri temsilcisi",
    "canli destek",
    "canli temsilci",
    "gercek kisi",
    "gercek bir insan",
    "gercek insan",
    "temsilciye bagla",
    "temsilciye baglan",
    "temsilci ile gorus",
    "temsilciyle gorus",
    "temsilciyle konus",
    "temsilci ile konus",
    "insanla konus",
    "insanla gorus",
    "bir insanla",
    "yetkiliyle gorus",
    "yetkili biriyle",
    "yetkiliye bagla",
    "operatore bagla",
    "operatorle gorus",
    "temsilci istiyorum",
]
_TR_ALONE = ["temsilci", "operator", "insan", "yetkili", "canli destek", "musteri temsilcisi"]

# -- French ------------------------------------------------------------------------------------------
_FR_NOUNS = [
    "humain",
    "conseiller",
    "conseillere",
    "agent",
    "operateur",
    "operatrice",
    "personne",
    "vraie personne",
    "personne reelle",
    "quelqu'un",
    "etre humain",
]
_FR_VERBS = [
    "parler a",
    "parler avec",
    "discuter avec",
    "mettez moi en relation avec",
    "me mettre en relation avec",
    "passez moi",
    "je veux",
    "je voudrais",
    "contacter",
]
_FR = [*(f"{verb} {noun}" for verb in _FR_VERBS for noun in _FR_NOUNS), "vraie personne", "personne reelle"]
_FR_ALONE = ["humain", "conseiller", "agent", "operateur", "service client", "un humain"]

# -- German ------------------------------------------------------------------------------------------
_DE_NOUNS = [
    "mitarbeiter",
    "mitarbeiterin",
    "mensch",
    "menschen",
    "echten menschen",
    "echte person",
    "berater",
    "beraterin",
    "agenten",
    "kundenberater",
    "support mitarbeiter",
    "servicemitarbeiter",
    "ansprechpartner",
]
_DE = [
    *(
        phrase
        for noun in _DE_NOUNS
        for phrase in (
            f"mit {noun} sprechen",
            f"mit {noun} reden",
            f"mit {noun} verbinden",
            f"mit {noun} chatten",
            f"{noun} sprechen",
            f"an {noun} weiterleiten",
            f"zu {noun} weiterleiten",
        )
    ),
    "echter mensch",
    "echten menschen",
    "echte person",
    "menschlichen mitarbeiter",
]
_DE_ALONE = ["mitarbeiter", "mensch", "berater", "kundendienst", "agent", "support mitarbeiter"]

# -- Italian -----------------------------------------------------------------------------------------
_IT_NOUNS = [
    "operatore",
    "operatrice",
    "persona",
    "persona reale",
    "umano",
    "essere umano",
    "agente",
    "consulente",
    "qualcuno",
]
_IT_VERBS = [
    "parlare con",
    "parlare a",
    "passami",
    "passatemi",
    "mettimi in contatto con",
    "collegami con",
    "collegarmi con",
    "contattare",
    "voglio",
    "vorrei",
]
_IT = [*(f"{verb} {noun}" for verb in _IT_VERBS for noun in _IT_NOUNS), "persona reale", "operatore umano"]
_IT_ALONE = ["operatore", "umano", "operatore umano", "agente", "consulente", "assistenza"]

PHRASES: dict[str, list[str]] = {
    "en": _EN,
    "zh": _ZH,
    "ja": _JA,
    "ko": _KO,
    "ru": _RU,
    "es": _ES,
    "pt": _PT,
    "vi": _VI,
    "tr": _TR,
    "fr": _FR,
    "de": _DE,
    "it": _IT,
}
ALONE: dict[str, list[str]] = {
    "en": _EN_ALONE,
    "zh": _ZH_ALONE,
    "ja": _JA_ALONE,
    "ko": _KO_ALONE,
    "ru": _RU_ALONE,
    "es": _ES_ALONE,
    "pt": _PT_ALONE,
    "vi": _VI_ALONE,
    "tr": _TR_ALONE,
    "fr": _FR_ALONE,
    "de": _DE_ALONE,
    "it": _IT_ALONE,
}

# Politeness around a word alone: "agent please", "人工，谢谢", "오퍼레이터 주세요", "temsilci lütfen".
_FILLERS = {
    "please", "pls", "plz", "now", "asap", "hi", "hello", "hey", "ok",
    "por", "favor", "porfa", "bitte", "jetzt", "svp", "s'il", "vous", "plait", "stp", "per", "piacere",
    "lutfen", "istiyorum", "lazim", "пожалуиста", "пж", "плиз", "срочно", "xin", "vui", "long", "cho", "toi",
    "gap", "i", "want", "need", "quiero", "quero", "je", "veux", "voglio", "ich", "will", "mochte",
    "주세요", "요", "좀", "부탁해요", "부탁드립니다", "연결해주세요", "불러주세요",
}  # fmt: skip
_CJK_FILLERS = (
    "请", "谢谢", "麻烦", "我要", "我想要", "吧", "呢", "啊",
    "お願いします", "おねがいします", "お願い", "ください", "下さい", "を", "で", "주세요", "요",
)  # fmt: skip

# Articles and elisions dropped everywhere, so phrases need not list "a"/"an"/"the"/"un"/"einen"...
_ARTICLES = {
    "a", "an", "the", "some", "your", "un", "una", "uno", "une", "el", "la", "le", "les", "los", "las",
    "il", "lo", "gli", "um", "uma", "o", "os", "as", "ein", "eine", "einen", "einem", "einer", "der",
    "die", "das", "den", "dem", "des", "l", "de",
}  # fmt: skip
_EXTRA_FOLDS = str.maketrans({"đ": "d", "ı": "i", "’": "'", "`": "'", "й": "и", "ё": "е"})
_ELISION = re.compile(r"\b(l|d|un|qu|all|dell|nell)'")
_NOT_WORD = re.compile(r"[^\w']+")
_SPACELESS_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def normalise(text: str) -> str:
    """The form both phrases and messages are compared in (see the module docstring)."""
    folded = analysis.normalise(text)
    if analysis.has_han(folded):
        folded = analysis.to_simplified(folded)
    folded = analysis.fold_accents(folded.translate(_EXTRA_FOLDS)).translate(_EXTRA_FOLDS)
    folded = _ELISION.sub(" ", folded)
    words = [word.strip("'") for word in _NOT_WORD.split(folded)]
    return " ".join(word for word in words if word and word not in _ARTICLES)


class _Compiled:
    def __init__(self, phrases: Iterable[str], alone: Iterable[str]) -> None:
        spaced: set[str] = set()
        self.spaceless: list[str] = []
        for phrase in phrases:
            normal = normalise(phrase)
            if not normal:
                continue
            if _SPACELESS_SCRIPT.search(normal):
                self.spaceless.append(normal.replace(" ", ""))
            else:
                spaced.add(normal)
        # Longest first, so the alternation prefers the fullest phrase; words bounded on both sides.
        alternation = "|".join(re.escape(phrase) for phrase in sorted(spaced, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w'])(?:{alternation})(?![\w'])")
        self.alone = {normalise(word).replace(" ", "") for word in alone}
        self.fillers = {normalise(word) for word in _FILLERS}
        self.cjk_fillers = tuple(normalise(word) for word in _CJK_FILLERS)


@functools.lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    return _Compiled(
        (phrase for phrases in PHRASES.values() for phrase in phrases),
        (word for words in ALONE.values() for word in words),
    )


def _strip_cjk_fillers(text: str, fillers: tuple[str, ...]) -> str:
    changed = True
    while changed and text:
        changed = False
        for filler in fillers:
            if filler and text.startswith(filler):
                text, changed = text[len(filler) :], True
            if filler and text.endswith(filler):
                text, changed = text[: -len(filler)], True
    return text


def asks_for_human(text: str) -> bool:
    """True when `text`, in any of the 13 languages, asks to talk to a person instead of the bot."""
    if len(text) > 500:
        text = text[:500]  # a request for a person is short; a long paste is a question for the bot
    compiled = _compiled()
    normal = normalise(text)
    if not normal:
        return False
    if compiled.pattern.search(normal):
        return True
    spaceless = normal.replace(" ", "")
    if any(phrase in spaceless for phrase in compiled.spaceless):
        return True
    core = "".join(word for word in normal.split() if word not in compiled.fillers)
    return _strip_cjk_fillers(core, compiled.cjk_fillers) in compiled.alone
