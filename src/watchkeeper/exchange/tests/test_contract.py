"""The adapter contract: every test here runs against the demo ledger and against the HTTP adapter
talking to a local exchange (conftest.exchange), so both keep the same promises."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from watchkeeper.accounts.tests.factories import totp_code
from watchkeeper.exchange.adapter import (
    AccountNotFound,
    AccountStatus,
    Direction,
    ExchangeAdapter,
    ExchangeRefused,
    TransferState,
)
from watchkeeper.exchange.demo_adapter import DemoExchange
from watchkeeper.exchange.tests.conftest import FULL_ADDRESS, REGISTERED, TOTP_SECRET, TXID

pytestmark = pytest.mark.django_db


def test_account_reads_every_field(exchange: ExchangeAdapter) -> None:
    account = exchange.account("EX-100")
    assert account.uid == "EX-100"
    assert (account.kyc_level, account.vip_tier) == (2, 1)
    assert account.status == AccountStatus.ACTIVE
    assert account.two_factor_enabled is True
    assert account.registered_at == REGISTERED and account.registered_at.tzinfo is not None
    other = exchange.account("EX-200")
    assert other.status == AccountStatus.RESTRICTED and other.two_factor_enabled is False


def test_an_unknown_account_is_not_found_everywhere(exchange: ExchangeAdapter) -> None:
    with pytest.raises(AccountNotFound, match="EX-999"):
        exchange.account("EX-999")
    with pytest.raises(AccountNotFound):
        exchange.transfers("EX-999")
    with pytest.raises(AccountNotFound):
        exchange.freeze("EX-999", "Customer reports a stolen phone", "agent@example.test")
    with pytest.raises(AccountNotFound):
        exchange.verify_second_factor("EX-999", "123456")


def test_an_account_id_with_awkward_characters_is_a_plain_miss(exchange: ExchangeAdapter) -> None:
    with pytest.raises(AccountNotFound):
        exchange.account("EX 1/../networks?x=1")


def test_transfers_newest_first_with_their_states(exchange: ExchangeAdapter, ledger: datetime) -> None:
    transfers = exchange.transfers("EX-100", limit=20)
    assert [t.reference for t in transfers] == ["D-1", "W-2", "W-3", "D-4", "W-5"]
    deposit, held, sent, failed, reviewed = transfers
    assert deposit.direction == Direction.DEPOSIT and deposit.state == TransferState.PROCESSING
    assert (deposit.coin, deposit.chain, deposit.amount) == ("USDT", "TRC20", Decimal("250"))
    assert deposit.txid == TXID
    assert (deposit.confirmations, deposit.confirmations_required) == (12, 19)
    assert deposit.created_at == ledger - timedelta(hours=2)
    # Masked: recognisable by its ends, never the whole address.
    assert deposit.address != FULL_ADDRESS
    assert deposit.address.startswith(FULL_ADDRESS[:6]) and deposit.address.endswith(FULL_ADDRESS[-4:])
    assert held.state == TransferState.SECURITY_HOLD and held.hold_until == ledger + timedelta(hours=20)
    assert held.reason == "Withdrawals wait 24 hours after a password change."
    assert sent.state == TransferState.SENT and sent.txid == "e3a1" * 16
    assert sent.amount == Decimal("0.00000001") and sent.amount_text == "0.00000001"
    assert failed.state == TransferState.FAILED and failed.reason == "No destination tag."
    assert reviewed.state == TransferState.UNDER_REVIEW and reviewed.hold_until is None
    assert reviewed.txid == "" and reviewed.confirmations is None


def test_transfers_by_direction_and_limit(exchange: ExchangeAdapter) -> None:
    assert [t.reference for t in exchange.transfers("EX-100", limit=2)] == ["D-1", "W-2"]
    deposits = exchange.transfers("EX-100", direction=Direction.DEPOSIT)
    assert [t.reference for t in deposits] == ["D-1", "D-4"]
    withdrawals = exchange.transfers("EX-100", limit=2, direction=Direction.WITHDRAWAL)
    assert [t.reference for t in withdrawals] == ["W-2", "W-3"]
    assert exchange.transfers("EX-200") == []
    for limit in (0, 101):
        with pytest.raises(ExchangeRefused, match="1 to 100"):
            exchange.transfers("EX-100", limit=limit)


def test_freeze_and_unfreeze(exchange: ExchangeAdapter) -> None:
    frozen = exchange.freeze("EX-100", "Customer reports a stolen phone", "agent@example.test")
    assert frozen.status == AccountStatus.FROZEN
    # Another adapter (another request, another process) sees the freeze: it lives in the ledger.
    assert DemoExchange().account("EX-100").status == AccountStatus.FROZEN
    assert exchange.account("EX-100").status == AccountStatus.FROZEN
    # Freezing twice is no error: in an emergency nobody should have to check first.
    assert exchange.freeze("EX-100", "Second report", "lead@example.test").status == AccountStatus.FROZEN
    with pytest.raises(ExchangeRefused, match="identity check"):
        exchange.unfreeze("EX-100", "agent@example.test", " ")
    assert exchange.account("EX-100").status == AccountStatus.FROZEN
    thawed = exchange.unfreeze("EX-100", "agent@example.test", "verification 42: video call")
    assert thawed.status == AccountStatus.ACTIVE
    assert exchange.unfreeze("EX-100", "agent@example.test", "verification 42").status == AccountStatus.ACTIVE


def test_a_freeze_needs_a_reason_and_an_actor(exchange: ExchangeAdapter) -> None:
    with pytest.raises(ExchangeRefused, match="reason"):
        exchange.freeze("EX-100", "  ", "agent@example.test")
    with pytest.raises(ExchangeRefused, match="reason"):
        exchange.freeze("EX-100", "Stolen phone", "")
    assert exchange.account("EX-100").status == AccountStatus.ACTIVE


def test_unfreezing_leaves_the_exchanges_own_restriction(exchange: ExchangeAdapter) -> None:
    assert exchange.freeze("EX-200", "Phishing report", "agent@example.test").status == AccountStatus.FROZEN
    assert (
        exchange.unfreeze("EX-200", "agent@example.test", "verification 7").status == AccountStatus.RESTRICTED
    )


def test_network_status_for_all_coins_or_one(exchange: ExchangeAdapter, ledger: datetime) -> None:
    networks = {(n.coin, n.chain): n for n in exchange.network_status()}
    assert set(networks) == {("USDT", "TRC20"), ("USDT", "ERC20"), ("XRP", "XRP Ledger")}
    assert not networks["USDT", "TRC20"].has_problem
    assert networks["USDT", "ERC20"].congested and networks["USDT", "ERC20"].withdrawals_enabled
    xrp = networks["XRP", "XRP Ledger"]
    assert not xrp.deposits_enabled and xrp.maintenance_until == ledger + timedelta(hours=3)
    assert xrp.in_maintenance() and xrp.has_problem
    assert [n.chain for n in exchange.network_status("usdt")] == ["ERC20", "TRC20"]
    assert exchange.network_status("DOGE") == []


def test_second_factor_codes_are_checked_and_good_once(exchange: ExchangeAdapter) -> None:
    code = totp_code(TOTP_SECRET)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert exchange.verify_second_factor("EX-100", wrong) is False
    assert exchange.verify_second_factor("EX-100", "12345") is False
    assert exchange.verify_second_factor("EX-100", "abcdef") is False
    assert exchange.verify_second_factor("EX-100", code) is True
    # The same code again is refused: one seen in a chat or over a shoulder is already spent.
    assert exchange.verify_second_factor("EX-100", code) is False


def test_second_factor_on_an_account_without_one_is_refused(exchange: ExchangeAdapter) -> None:
    with pytest.raises(ExchangeRefused, match="no second factor"):
        exchange.verify_second_factor("EX-200", "123456")
