"""Folding quoted history and signatures, on talon's and github/email_reply_parser's fixtures
(../shared/data/emails/reply_stripping) and on attribution lines in the languages we serve."""

# ruff: noqa: RUF001  (Cyrillic and CJK text with full-width punctuation is the point)
from __future__ import annotations

import pytest

from watchkeeper.mail.parsing import html_to_text, parse_message
from watchkeeper.mail.quoting import split_quoted
from watchkeeper.mail.tests.test_parsing import emails_dir


def squash(text: str) -> str:
    return " ".join(text.split())


TALON_REPLIES = [
    "android",
    "aol",
    "apple_mail",
    "apple_mail_2",
    "comcast",
    "gmail",
    "hotmail",
    "iphone",
    "outlook",
    "sparrow",
    "thunderbird",
    "yahoo",
]


@pytest.mark.parametrize("client", TALON_REPLIES)
def test_talon_standard_replies(client: str) -> None:
    """talon's expected reply is "Hello", or the contents of <client>_reply_text. Those two files keep
    the signature ("Sent from my iPhone", Sparrow's "-- " block), which we fold by design: the new
    part is "Hello" and the signature is in the folded part."""
    folder = emails_dir() / "reply_stripping" / "talon" / "fixtures" / "standard_replies"
    parsed = parse_message((folder / f"{client}.eml").read_bytes())
    new, folded = split_quoted(parsed.text)
    assert new == "Hello"
    assert folded  # every fixture quotes the message it answers
    expected_file = folder / f"{client}_reply_text"
    if expected_file.exists():
        expected = expected_file.read_text(encoding="utf-8")
        signature = squash(expected).removeprefix("Hello").strip()
        assert signature and signature.replace("-- ", "") in squash(folded).replace("-- ", "").replace(
            "--", ""
        )


@pytest.mark.parametrize(
    "client",
    [
        "gmail",
        "hotmail",
        "mail_ru",
        "ms_outlook_2003",
        "ms_outlook_2007",
        "ms_outlook_2010",
        "thunderbird",
        "windows_mail",
        "yandex_ru",
    ],
)
def test_talon_html_replies(client: str) -> None:
    folder = emails_dir() / "reply_stripping" / "talon" / "fixtures" / "html_replies"
    text = html_to_text((folder / f"{client}.html").read_text(encoding="utf-8", errors="replace"))
    new, folded = split_quoted(text)
    assert squash(new) == "Hi. I am fine. Thanks, Alex"
    assert "How are you" in folded


def reply_parser_email(name: str) -> str:
    return (emails_dir() / "reply_stripping" / "email_reply_parser" / "emails" / name).read_text(
        encoding="utf-8"
    )


# What github's email_reply_parser_test.rb shows as the visible reply of each fixture.
REPLY_PARSER_NEW = {
    "email_1_3.txt": "Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona",
    "email_1_4.txt": "Awesome! I haven't had another problem with it.",
    "email_1_7.txt": ":+1:",
    "email_2_1.txt": "Outlook with a reply",
    "email_2_2.txt": "Outlook with a reply directly above line",
    "email_2_3.txt": "Outlook with a reply directly above line",
    "email_BlackBerry.txt": "Here is another email",
    "email_iPhone.txt": "Here is another email",
    "email_multi_word_sent_from_my_mobile_device.txt": "Here is another email",
    "correct_sig.txt": "this is an email with a correct -- signature.",
    "pathological.txt": "I think you're onto something. I will try to fix the problem as soon as I\n"
    "get back to a computer.",
}


@pytest.mark.parametrize("name", sorted(REPLY_PARSER_NEW))
def test_email_reply_parser_fixtures(name: str) -> None:
    new, folded = split_quoted(reply_parser_email(name))
    assert new == REPLY_PARSER_NEW[name]
    assert folded


@pytest.mark.parametrize(
    "name",
    ["email_1_5.txt", "email_sent_from_my_not_signature.txt", "email_sig_delimiter_in_middle_of_line.txt"],
)
def test_email_reply_parser_fixtures_without_history(name: str) -> None:
    text = reply_parser_email(name)
    new, folded = split_quoted(text)
    assert (new, folded) == (text.strip("\n"), "")


def test_bottom_post_keeps_its_context_and_folds_the_trailing_quote() -> None:
    new, folded = split_quoted(reply_parser_email("email_1_2.txt"))
    assert new.startswith("Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Abhishek Kona wrote:\n> Hi folks")
    assert new.endswith('you\u2019ll need to delete them all individually."')
    assert folded.startswith(">\n> -Abhishek Kona") and folded.endswith("riak-users_lists.basho.com")


def test_inline_answers_stay_visible() -> None:
    new, folded = split_quoted(reply_parser_email("email_1_8.txt"))
    assert "I will reply under this one" in new and "and under this." in new
    assert "-- Tim" in folded and "Hey there, this is my signature" in folded
    assert "Hey there, this is my signature" not in new


def test_signatures_and_footers() -> None:
    new, folded = split_quoted(reply_parser_email("email_1_1.txt"))
    assert new.endswith("-Abhishek Kona") and folded.startswith("_____") and "mailing list" in folded
    new, folded = split_quoted(reply_parser_email("email_bullets.txt"))
    assert new.endswith("   - how about bullets\n   - and another") and "Joe Smith" in folded
    new, _ = split_quoted(reply_parser_email("greedy_on.txt"))
    assert new.endswith("fails, the tunnel is not working.")
    new, _ = split_quoted(reply_parser_email("email_one_is_not_on.txt"))
    assert new.endswith("Locally (on development), when I run...")


def test_long_quote_is_handled() -> None:
    new, folded = split_quoted(reply_parser_email("email_long_quote.txt"))
    assert new.startswith("Hi folks") and "mailing list" in folded


@pytest.mark.parametrize(
    ("attribution", "quote"),
    [
        ("On Mon, Apr 2, 2012 at 6:26 PM, Support <support@example.com> wrote:", "> Hi"),
        ("Am 02.04.2012 um 14:20 schrieb Support <support@example.com>:", "> Hallo"),
        ("Le 2 avr. 2012 à 14:20, Support <support@example.com> a écrit :", "> Bonjour"),
        ("El 2 abr 2012, a las 14:20, Support <support@example.com> escribió:", "> Hola"),
        ("2 апреля 2012 г., 14:20 пользователь Support <support@example.com> написал:", "> Привет"),
        ("在 2012年4月2日 下午2:20，Support <support@example.com> 写道：", "> 你好"),
        ("2012/04/02 14:20、Support <support@example.com> のメッセージ:", "> こんにちは"),
        ("2012年4月2日(月) 14:20 Support <support@example.com>:", "> こんにちは"),
        ("Il giorno 2 apr 2012, alle ore 14:20, Support <support@example.com> ha scritto:", "> Ciao"),
        ("Em 2 de abr de 2012, às 14:20, Support <support@example.com> escreveu:", "> Olá"),
        ("On Mon, Apr 2, 2012 at 6:26 PM, Support Team\n<support@example.com>\nwrote:", "> Hi"),
    ],
)
def test_attribution_lines_in_many_languages(attribution: str, quote: str) -> None:
    text = f"My withdrawal is still pending.\n\n{attribution}\n{quote}\n>\n> Ticket WK-000123"
    new, folded = split_quoted(text)
    assert new == "My withdrawal is still pending."
    assert folded.startswith(attribution.split("\n")[0]) and folded.endswith("> Ticket WK-000123")


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Support\nSent: Monday, April 2, 2012 5:44 PM\nTo: me\nSubject: Re",
        "-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Montag, 2. April 2012 17:44\nAn: mich",
        "-----Message d'origine-----\nDe : Support\nEnvoyé : lundi 2 avril 2012 17:44\nÀ : moi",
        "________________________________\nDe: Support\nEnviado: lunes, 2 de abril de 2012 17:44\nPara: yo",
        "From: Support <support@example.com>\nSent: Monday, April 2, 2012 5:44 PM\nTo: me\nSubject: Re: help",
        "发件人: Support <support@example.com>\n发送时间: 2012年4月2日 17:44\n收件人: me\n主题: 回复: 提币",
        "差出人: Support <support@example.com>\n送信日時: 2012年4月2日 17:44\n宛先: me\n件名: RE: 出金",
        "От: Support <support@example.com>\nОтправлено: 2 апреля 2012 г. 17:44\nКому: me\nТема: RE: вывод",
    ],
)
def test_outlook_header_blocks(block: str) -> None:
    text = f"Thanks, it arrived.\n\n{block}\n\nYour withdrawal has been sent.\nSupport team"
    new, folded = split_quoted(text)
    assert new == "Thanks, it arrived."
    assert folded.startswith(block.split("\n")[0]) and folded.endswith("Support team")


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from my iPhone",
        "Sent from my Samsung Galaxy smartphone.",
        "Get Outlook for iOS",
        "iPhoneから送信",
    ],
)
def test_mobile_signatures(signature: str) -> None:
    assert split_quoted(f"Please check my deposit.\n\n{signature}") == ("Please check my deposit.", signature)


def test_text_without_history_is_left_alone() -> None:
    assert split_quoted("") == ("", "")
    assert split_quoted("Hello\n\nMy deposit of 0.5 BTC is missing.") == (
        "Hello\n\nMy deposit of 0.5 BTC is missing.",
        "",
    )
    forwarded = (
        "Is this from you?\n\n---------- Forwarded message ---------\nFrom: Exchange <scam@example.net>\n"
        "Date: Mon, Apr 2, 2012 at 6:26 PM\nSubject: Verify your wallet\nTo: <me@example.com>\n\nClick here"
    )
    assert split_quoted(forwarded) == (forwarded, "")  # a forwarded phishing mail is the customer's content
    windows = "Hello\r\n\r\nOn Mon, Apr 2, 2012 at 6:26 PM, Support <s@example.com> wrote:\r\n> Hi\r\n"
    assert split_quoted(windows) == (
        "Hello",
        "On Mon, Apr 2, 2012 at 6:26 PM, Support <s@example.com> wrote:\n> Hi",
    )
