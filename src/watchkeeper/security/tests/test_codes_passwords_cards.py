"""One-time codes, passwords and card numbers in the 13 languages we serve — and the numbers and
sentences about passwords that must come through untouched."""

# ruff: noqa: RUF001  (full-width punctuation is the point)
from __future__ import annotations

import random

import pytest

from watchkeeper.security.redaction import CARD_NUMBER, ONE_TIME_CODE, PASSWORD, marker, redact

CODE = marker(ONE_TIME_CODE)
HIDDEN = marker(PASSWORD)
CARD = marker(CARD_NUMBER)

# (what the customer wrote, what must be stored)
ONE_TIME_CODES = [
    ("my 2FA code is 123456", f"my 2FA code is {CODE}"),
    ("Google Authenticator: 654 321", f"Google Authenticator: {CODE}"),
    ("OTP 90817263, please hurry", f"OTP {CODE}, please hurry"),
    ("the verification code was 482913.", f"the verification code was {CODE}."),
    ("482913 is my 2fa code", f"{CODE} is my 2fa code"),
    ("SMS code: 1234-5678", f"SMS code: {CODE}"),
    ("验证码 482913", f"验证码 {CODE}"),
    ("谷歌验证码是482913，帮我看看", f"谷歌验证码是{CODE}，帮我看看"),
    ("簡訊驗證碼：482913", f"簡訊驗證碼：{CODE}"),
    ("認証コード：123456", f"認証コード：{CODE}"),
    ("確認コードは123456です", f"確認コードは{CODE}です"),
    ("인증번호는 123456입니다", f"인증번호는 {CODE}입니다"),
    ("код подтверждения: 123456", f"код подтверждения: {CODE}"),
    ("Мой код из смс 123456", f"Мой код из смс {CODE}"),
    ("mi código de verificación es 123456", f"mi código de verificación es {CODE}"),
    ("meu código de segurança é 123456", f"meu código de segurança é {CODE}"),
    ("mã xác minh của tôi là 123456", f"mã xác minh của tôi là {CODE}"),
    ("doğrulama kodum 123456", f"doğrulama kodum {CODE}"),
    ("mon code de vérification est 123456", f"mon code de vérification est {CODE}"),
    ("Mein Bestätigungscode lautet 123456", f"Mein Bestätigungscode lautet {CODE}"),
    ("il codice di verifica è 123456", f"il codice di verifica è {CODE}"),
]


@pytest.mark.parametrize(("written", "stored"), ONE_TIME_CODES)
def test_one_time_codes_are_removed(written: str, stored: str) -> None:
    result = redact(written)
    assert result.text == stored
    assert result.kinds == (ONE_TIME_CODE,)


NUMBERS_THAT_STAY = [
    "Order 12345678 still has not been delivered",
    "I sent 150000 USDT yesterday and 2500.00 today",
    "Call me on +1 415 555 0132 or +86 138 1234 5678",
    "The withdrawal on 2024-05-01 at 13:45 (ID 20240501134512) is missing",
    "I never got the verification code for order 12345678",
    "my 2FA code expired after 30 seconds",
    "referral code 123456 does not give me the bonus",
    "验证码一直收不到，订单号 20240501",
    "注文番号 123456 の認証コードが届きません",
    "I have 1,234,567 satoshis",
]


@pytest.mark.parametrize("text", NUMBERS_THAT_STAY)
def test_other_numbers_stay(text: str) -> None:
    assert redact(text).kinds == ()


PASSWORDS = [
    ("my password is hunter2", f"my password is {HIDDEN}"),
    ("password: staple42 thanks", f"password: {HIDDEN} thanks"),
    ("我的密码：abc12345", f"我的密码：{HIDDEN}"),
    ("Password = Tr0ub4dor&3, can you log in?", f"Password = {HIDDEN}, can you log in?"),
    ('my password is "sunshine"', f'my password is "{HIDDEN}"'),
    ("my password was SunShine", f"my password was {HIDDEN}"),
    ("пароль: qwerty", f"пароль: {HIDDEN}"),
    ("мой пароль qwerty123", f"мой пароль {HIDDEN}"),
    ("密码是abc12345请帮我登录", f"密码是{HIDDEN}请帮我登录"),
    ("密碼：abc12345", f"密碼：{HIDDEN}"),
    ("パスワードはabc12345です", f"パスワードは{HIDDEN}です"),
    ("비밀번호는 abc12345입니다", f"비밀번호는 {HIDDEN}입니다"),
    ("mi contraseña es abc12345", f"mi contraseña es {HIDDEN}"),
    ("minha senha é abc12345", f"minha senha é {HIDDEN}"),
    ("mật khẩu là abc12345", f"mật khẩu là {HIDDEN}"),
    ("şifrem abc12345", f"şifrem {HIDDEN}"),
    ("mon mot de passe est abc12345", f"mon mot de passe est {HIDDEN}"),
    ("Mein Passwort ist abc12345", f"Mein Passwort ist {HIDDEN}"),
    ("la mia password è abc12345", f"la mia password è {HIDDEN}"),
    ("my PIN is 4821", f"my PIN is {HIDDEN}"),
    ("暗証番号は4821です", f"暗証番号は{HIDDEN}です"),
]


@pytest.mark.parametrize(("written", "stored"), PASSWORDS)
def test_passwords_given_as_such_are_removed(written: str, stored: str) -> None:
    result = redact(written)
    assert result.text == stored
    assert result.kinds == (PASSWORD,)


SENTENCES_ABOUT_PASSWORDS = [
    "I forgot my password",
    "my password is incorrect",
    "My password is not working.",
    "How do I reset my password?",
    "Password reset link expired",
    "Password: forgotten",
    "The password must be 8-20 characters",
    "after several failed sign-ins, password sign-in pauses",
    "my password is too weak apparently",
    "my PIN is blocked after 3 tries",
    "忘记密码怎么办",
    "パスワードを忘れました",
    "забыл пароль",
]


@pytest.mark.parametrize("text", SENTENCES_ABOUT_PASSWORDS)
def test_sentences_about_passwords_stay(text: str) -> None:
    assert redact(text).kinds == ()


def luhn_complete(prefix: str, length: int, generator: random.Random) -> str:
    body = prefix + "".join(generator.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


CARD_KINDS = [
    ("4", 16),  # Visa
    ("51", 16),  # Mastercard
    ("2221", 16),  # Mastercard 2-series
    ("34", 15),  # American Express
    ("37", 15),
    ("62", 16),  # UnionPay
    ("6011", 16),  # Discover
    ("3528", 16),  # JCB
    ("2200", 16),  # Mir
    ("9792", 16),  # Troy
]


def grouped(number: str) -> str:
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize(("prefix", "length"), CARD_KINDS)
def test_card_numbers_are_removed(prefix: str, length: int) -> None:
    generator = random.Random(prefix)
    for _ in range(10):
        number = luhn_complete(prefix, length, generator)
        for written in (number, grouped(number), grouped(number).replace(" ", "-")):
            result = redact(f"charged twice on {written}, please refund")
            assert result.text == f"charged twice on {CARD}, please refund", written
            assert result.kinds == (CARD_NUMBER,)


def test_long_unbroken_card_numbers_need_a_card_word() -> None:
    number = luhn_complete("62", 19, random.Random(1))
    assert redact(f"ID {number}").kinds == ()
    assert redact(f"my UnionPay card {number}").kinds == (CARD_NUMBER,)
    assert redact(f"银联卡号{number}").kinds == (CARD_NUMBER,)
    assert redact(f"số thẻ của tôi {number}").kinds == (CARD_NUMBER,)
    assert redact(f"the id is {number}").kinds == ()  # "the" is not the Vietnamese "thẻ"
    assert redact(f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:16]} {number[16:]}").kinds == (
        CARD_NUMBER,
    )


def test_numbers_that_fail_luhn_or_start_like_no_card_stay() -> None:
    generator = random.Random(2)
    for _ in range(50):
        number = luhn_complete("4", 16, generator)
        broken = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert redact(f"order {broken}").kinds == ()
    valid_but_no_card = luhn_complete("1", 16, generator)  # no network issues cards starting with 1
    assert redact(f"order {valid_but_no_card}").kinds == ()
    assert redact("timestamp 1714567890123").kinds == ()
    assert redact("phone +49 151 23456789").kinds == ()
