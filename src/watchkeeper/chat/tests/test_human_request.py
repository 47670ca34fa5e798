# ruff: noqa: RUF001  (full-width punctuation in customer messages is meant)
"""A request for a person is recognised in each of the 13 languages, in several phrasings, and
ordinary questions that mention agents, people or 人工智能 are not taken for one."""

from __future__ import annotations

import pytest

from watchkeeper.chat.human_request import asks_for_human

REQUESTS = {
    "en": [
        "Talk to a human",
        "I want to speak to a real person please",
        "agent",
        "Agent please!",
        "Can you connect me to an agent?",
        "live agent",
        "HUMAN!!!",
        "I need a representative",
    ],
    "zh-hans": ["人工", "转人工", "我要人工客服", "找真人客服", "人工，谢谢", "请帮我转接人工"],
    "zh-hant": ["轉人工", "真人客服", "我要找真人", "人工客服", "請轉人工", "搵真人"],
    "ja": [
        "オペレーター",
        "オペレーターと話したい",
        "オペレーターに繋いでください",
        "担当者と話せますか",
        "有人対応をお願いします",
        "ｵﾍﾟﾚｰﾀｰ",
    ],
    "ko": [
        "상담원",
        "상담원 연결해주세요",
        "상담원과 통화하고 싶어요",
        "실제 사람과 대화하고 싶어요",
        "상담사 연결",
    ],
    "ru": [
        "оператор",
        "Позовите оператора",
        "Хочу поговорить с живым человеком",
        "соедините с оператором",
        "нужен специалист",
    ],
    "es": [
        "humano",
        "Quiero hablar con un agente",
        "hablar con una persona real",
        "pásame con un asesor",
        "Necesito un operador",
    ],
    "pt": [
        "atendente",
        "Quero falar com um atendente",
        "falar com humano",
        "preciso de uma pessoa real",
        "me passa para um atendente",
    ],
    "vi": [
        "nhân viên",
        "Cho tôi gặp nhân viên",
        "tôi muốn nói chuyện với người thật",
        "kết nối nhân viên hỗ trợ",
        "tư vấn viên",
    ],
    "tr": [
        "temsilci",
        "Temsilci lütfen",
        "Müşteri temsilcisi ile görüşmek istiyorum",
        "canlı destek",
        "gerçek bir insanla konuşmak istiyorum",
    ],
    "fr": [
        "conseiller",
        "Je veux parler à un conseiller",
        "parler avec un humain",
        "Mettez-moi en relation avec un agent",
        "une vraie personne svp",
    ],
    "de": [
        "Mitarbeiter",
        "Mitarbeiter bitte",
        "Ich möchte mit einem Mitarbeiter sprechen",
        "mit einem echten Menschen reden",
        "Bitte an einen Berater weiterleiten",
    ],
    "it": [
        "operatore",
        "Vorrei parlare con un operatore",
        "passami un operatore umano",
        "voglio parlare con una persona reale",
        "collegami con un consulente",
    ],
}

QUESTIONS = [
    "how do I withdraw to my agent's wallet?",
    "What is the agent referral program?",
    "My deposit has not arrived after two hours",
    "Is a human verification selfie required for KYC?",
    "Can the bot speak English?",
    "人工智能交易机器人怎么用？",
    "真人認證一直失敗",
    "我的提币还没到账",
    "オペレーターの手数料はいくらですか",
    "입금이 안 됐어요",
    "оператор связи не присылает СМС с кодом",
    "¿Cuánto tarda un retiro?",
    "Qual é a taxa de saque?",
    "Nhân viên của bạn có thể xem ví của tôi không?",
    "Para çekme ücreti nedir?",
    "Comment activer la 2FA ?",
    "Wie lange dauert eine Auszahlung?",
    "Quanto costa un prelievo?",
    "",
]


@pytest.mark.parametrize(
    ("language", "text"), [(language, text) for language, texts in REQUESTS.items() for text in texts]
)
def test_a_request_for_a_person_is_recognised(language: str, text: str) -> None:
    assert asks_for_human(text), (language, text)


def test_every_language_is_covered() -> None:
    assert set(REQUESTS) == {
        "en",
        "zh-hans",
        "zh-hant",
        "ja",
        "ko",
        "ru",
        "es",
        "pt",
        "vi",
        "tr",
        "fr",
        "de",
        "it",
    }
    assert all(len(texts) >= 5 for texts in REQUESTS.values())


@pytest.mark.parametrize("text", QUESTIONS)
def test_ordinary_questions_stay_with_the_bot(text: str) -> None:
    assert not asks_for_human(text)
