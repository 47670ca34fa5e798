"""The bot answers first and always lets go: articles for what it knows, a request to rephrase, and a
person after two misses, an unhelpful vote or a request for one."""

from __future__ import annotations

import pytest

from watchkeeper.accounts.models import Team, User
from watchkeeper.answers.queries import Answer
from watchkeeper.chat import actions
from watchkeeper.chat.events import ChatStateChanged
from watchkeeper.chat.models import HandoverReason, State
from watchkeeper.chat.tests.conftest import MONDAY_10, FakeMatcher, Published, article, make_agent
from watchkeeper.tickets.models import Channel, Message, Status

pytestmark = pytest.mark.django_db


def test_a_chat_is_a_held_chat_ticket_with_a_session(customer: User, published: Published) -> None:
    turn = actions.start_chat(customer, "Hello, my deposit is missing", client_id="c-1", now=MONDAY_10)
    session, ticket = turn.session, turn.session.ticket
    assert ticket.channel == Channel.CHAT and ticket.requester == customer
    assert session.state == State.BOT and session.started_at == MONDAY_10
    # The bot holds it: no team, no agent, no SLA clock, no acknowledgement email yet.
    assert ticket.team is None and ticket.assignee is None and ticket.sla_policy is None
    assert not ticket.messages.filter(kind=Message.Kind.EVENT, body__startswith="Acknowledgement").exists()
    assert turn.message is not None and turn.message.client_id == "c-1"
    assert published.of(ChatStateChanged, f"ticket.{ticket.pk}")[0].state == "bot"


def test_an_answer_posts_the_article_as_a_bot_message(customer: User, matcher: FakeMatcher) -> None:
    matcher.answers.append(Answer(decision="answer", articles=[article(7, "Deposit not credited")]))
    turn = actions.start_chat(customer, "Why is my deposit not credited?")
    [reply] = turn.bot_messages
    assert reply.from_bot and reply.from_staff and reply.author is None
    assert reply.kind == Message.Kind.PUBLIC and reply.channel == Channel.CHAT
    assert "[Deposit not credited](/en/help/article-7/)" in reply.body
    assert "Summary of Deposit not credited." in reply.body
    assert reply.metadata["bot"] == "answer" and reply.metadata["articles"][0]["id"] == 7
    turn.session.refresh_from_db()
    assert turn.session.shown_article_ids == [7]
    # A bot answer is not a person's first response.
    turn.session.ticket.refresh_from_db()
    assert turn.session.ticket.first_response_at is None


def test_suggestions_list_a_few_articles(customer: User, matcher: FakeMatcher) -> None:
    matcher.answers.append(
        Answer(decision="suggest", articles=[article(1, "A"), article(2, "B"), article(3, "C")])
    )
    turn = actions.start_chat(customer, "fees?")
    [reply] = turn.bot_messages
    assert reply.metadata["bot"] == "suggest"
    assert all(f"[{title}]" in reply.body for title in "ABC")
    turn.session.refresh_from_db()
    assert turn.session.shown_article_ids == [1, 2, 3]


def test_the_articles_category_becomes_the_chats(
    customer: User, matcher: FakeMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("watchkeeper.chat.queries.ticket_category_for_article", lambda article_id: "deposit")
    matcher.answers.append(Answer(decision="answer", articles=[article(7)]))
    session = actions.start_chat(customer, "Why is my deposit not credited?").session
    session.refresh_from_db()
    assert session.category == "deposit"


def test_first_decline_asks_to_rephrase_and_the_second_hands_over(customer: User, support: Team) -> None:
    make_agent(support, "Bob")
    turn = actions.start_chat(customer, "blorp", now=MONDAY_10)
    [reply] = turn.bot_messages
    assert reply.metadata == {"bot": "decline", "offer_human": True}
    assert turn.session.state == State.BOT and turn.session.bot_declines == 1
    second = actions.customer_says(turn.session, "zorp", now=MONDAY_10)
    assert second.session.state == State.OFFERED
    assert second.session.handover_reason == HandoverReason.DECLINED
    assert "I'll get you a person" in second.bot_messages[0].body


def test_asking_for_a_person_hands_over_at_once(customer: User, support: Team, matcher: FakeMatcher) -> None:
    make_agent(support, "Bob")
    turn = actions.start_chat(customer, "Hi", now=MONDAY_10)
    turn = actions.customer_says(turn.session, "转人工", now=MONDAY_10)
    assert turn.session.state == State.OFFERED
    assert turn.session.handover_reason == HandoverReason.ASKED
    assert [question for question, _language in matcher.questions] == ["Hi"]  # 转人工 never went to the bot


def test_the_button_and_an_unhelpful_vote_hand_over(
    customer: User, support: Team, matcher: FakeMatcher
) -> None:
    make_agent(support, "Bob", max_chats=5)
    session = actions.start_chat(customer, "x", want_human=True, now=MONDAY_10).session
    assert session.state == State.OFFERED
    matcher.answers.append(Answer(decision="answer", articles=[article(7)]))
    other = actions.start_chat(customer, "How do I deposit?", now=MONDAY_10).session
    assert actions.rate_bot_answer(other, 7, helpful=True).bot_messages
    assert other.state == State.BOT
    actions.rate_bot_answer(other, 7, helpful=False, now=MONDAY_10)
    assert other.state == State.OFFERED and other.handover_reason == HandoverReason.UNHELPFUL


def test_bot_texts_go_out_in_the_customers_language(customer: User) -> None:
    turn = actions.start_chat(customer, "Je n'arrive pas à retirer mes fonds depuis hier soir")
    assert turn.session.language == "fr"
    assert turn.session.ticket.language == "fr"


def test_the_widget_language_is_kept_over_detection(customer: User) -> None:
    session = actions.start_chat(customer, "hola", language="de").session
    actions.customer_says(session, "Je n'arrive pas à retirer mes fonds depuis hier soir")
    assert session.language == "de"


def test_a_resent_message_is_stored_once_and_not_answered_twice(customer: User, matcher: FakeMatcher) -> None:
    session = actions.start_chat(customer, "hello", client_id="a").session
    first = actions.customer_says(session, "question", client_id="b")
    again = actions.customer_says(session, "question", client_id="b")
    assert again.duplicate and again.message == first.message and not again.bot_messages
    assert session.ticket.messages.filter(client_id="b").count() == 1
    assert len(matcher.questions) == 2
    restarted = actions.start_chat(customer, "hello", client_id="a")
    assert restarted.duplicate and restarted.session == session


def test_idle_bot_chats_end_and_solve_their_ticket(customer: User) -> None:
    session = actions.start_chat(customer, "hello", now=MONDAY_10).session
    from datetime import timedelta

    assert actions.end_idle_bot_chats(now=MONDAY_10 + timedelta(minutes=10)) == 0
    assert actions.end_idle_bot_chats(now=MONDAY_10 + timedelta(minutes=31)) == 1
    session.refresh_from_db()
    session.ticket.refresh_from_db()
    assert session.state == State.ENDED and session.ticket.status == Status.SOLVED
