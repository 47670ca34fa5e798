"""The exchange's signed customer identity (chat widget): what is accepted, what is refused and why."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from watchkeeper.accounts.actions import customer_for_exchange_identity
from watchkeeper.accounts.identity_tokens import IdentityTokenError, verify
from watchkeeper.accounts.models import CustomerProfile, User
from watchkeeper.accounts.roles import Role
from watchkeeper.accounts.tests.factories import make_user

SECRET = "exchange-shared-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.CHAT_IDENTITY_SECRETS = [SECRET]
    settings.CHAT_IDENTITY_MAX_LIFETIME_SECONDS = 3600


def sign(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "EX-1001", "email": "trader@example.com", "exp": int(time.time()) + 600, **extra}


def test_a_token_signed_with_the_shared_secret_names_the_account() -> None:
    identity = verify(sign(claims(name="Trader Joe", language="ja", vip_tier=2)))
    assert (identity.account_id, identity.email, identity.name) == (
        "EX-1001",
        "trader@example.com",
        "Trader Joe",
    )
    assert (identity.language, identity.vip_tier) == ("ja", 2)


def test_a_rotated_secret_is_still_accepted_while_listed(settings: Any) -> None:
    settings.CHAT_IDENTITY_SECRETS = ["new-secret-abcdefghijklmnopqrstuvwxyz", SECRET]
    assert verify(sign(claims())).account_id == "EX-1001"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: sign(claims(), secret="an-impostor-secret-0123456789abcdef"), "signature"),
        (lambda: sign(claims())[:-3] + "abc", "signature"),
        (lambda: sign(claims(exp=int(time.time()) - 120)), "expired"),
        (lambda: sign({"sub": "EX-1001", "email": "a@b.co"}), "exp"),
        (lambda: sign({"exp": int(time.time()) + 60}), "sub"),
        (lambda: sign(claims(exp=int(time.time()) + 7200)), "too long"),
        (lambda: sign(claims(), algorithm="HS512"), "HS256"),
        (lambda: jwt.encode(claims(), None, algorithm="none"), "HS256"),
        (lambda: "not-a-token", "HS256"),
        (lambda: "", "missing"),
        (lambda: sign(claims(vip_tier=12)), "vip_tier"),
        (lambda: sign(claims(email="not an address")), "email"),
    ],
    ids=[
        "other-secret",
        "tampered",
        "expired",
        "no-exp",
        "no-sub",
        "lives-too-long",
        "other-algorithm",
        "alg-none",
        "garbage",
        "empty",
        "bad-tier",
        "bad-email",
    ],
)
def test_a_forged_or_bad_token_is_refused_with_the_reason(token: Any, reason: str) -> None:
    with pytest.raises(IdentityTokenError) as refused:
        verify(token())
    assert reason in str(refused.value)


def test_no_secret_configured_refuses_every_token(settings: Any) -> None:
    settings.CHAT_IDENTITY_SECRETS = []
    with pytest.raises(IdentityTokenError, match="not set up"):
        verify(sign(claims()))


@pytest.mark.django_db
def test_the_first_token_creates_the_customer_and_later_ones_find_them_by_account_id() -> None:
    first = customer_for_exchange_identity(verify(sign(claims(name="Trader Joe", vip_tier=3))))
    assert first.email == "trader@example.com" and first.display_name == "Trader Joe"
    assert CustomerProfile.objects.get(user=first).exchange_account_id == "EX-1001"
    assert CustomerProfile.objects.get(user=first).vip_tier == 3
    # The exchange changed the address and the tier: the account id is what counts.
    again = customer_for_exchange_identity(verify(sign(claims(email="new@example.com", vip_tier=0))))
    assert again.pk == first.pk
    assert CustomerProfile.objects.get(user=first).vip_tier == 0
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_existing_customer_with_the_verified_address_is_linked() -> None:
    existing = make_user(Role.CUSTOMER, email="trader@example.com")
    assert customer_for_exchange_identity(verify(sign(claims()))).pk == existing.pk
    assert CustomerProfile.objects.get(user=existing).exchange_account_id == "EX-1001"


@pytest.mark.django_db
def test_an_address_linked_to_another_exchange_account_is_refused() -> None:
    existing = make_user(Role.CUSTOMER, email="trader@example.com")
    CustomerProfile.objects.filter(user=existing).update(exchange_account_id="EX-9")
    with pytest.raises(IdentityTokenError, match="another exchange account"):
        customer_for_exchange_identity(verify(sign(claims())))


@pytest.mark.django_db
def test_a_token_never_signs_in_staff() -> None:
    make_user(Role.AGENT, email="trader@example.com")
    with pytest.raises(IdentityTokenError, match="Staff"):
        customer_for_exchange_identity(verify(sign(claims())))
    assert not CustomerProfile.objects.filter(exchange_account_id="EX-1001").exists()


@pytest.mark.django_db
def test_a_new_account_needs_an_email_in_its_first_token() -> None:
    with pytest.raises(IdentityTokenError, match="email"):
        customer_for_exchange_identity(verify(sign({"sub": "EX-2", "exp": int(time.time()) + 60})))
