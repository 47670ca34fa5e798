"""A small demo ledger, and the local exchange (server.py) that serves it over the signed HTTP API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from watchkeeper.exchange import actions
from watchkeeper.exchange.actions import DemoTransferSpec
from watchkeeper.exchange.adapter import Direction, TransferState
from watchkeeper.exchange.demo_adapter import DemoExchange
from watchkeeper.exchange.http_adapter import CircuitBreaker, HttpExchange
from watchkeeper.exchange.tests.server import ExchangeStub

KEY = "wk-test-key"
SECRET = "a-long-shared-secret-for-the-tests-0123456789"
TOTP_SECRET = "MRQW4YJNMRSW23ZNGJTGCLLTMVRXEZLU"
REGISTERED = datetime(2022, 5, 17, 8, 41, tzinfo=UTC)
FULL_ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
TXID = "7b1e" * 16


class Sleeps(list[float]):
    """Stands in for time.sleep: records the back-off pauses instead of waiting them out."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class Clock:
    """A monotonic clock the test moves by hand, for the circuit breaker's cool-down."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ledger(db: None) -> datetime:
    """Two accounts: EX-100 (active, 2FA, five transfers) and EX-200 (restricted, no 2FA, none);
    and three networks. Returns the moment the transfers are counted back from."""
    now = timezone.now()
    alice = actions.add_demo_account(
        "EX-100", kyc_level=2, vip_tier=1, registered_at=REGISTERED, totp_secret=TOTP_SECRET
    )
    actions.add_demo_account("EX-200", kyc_level=1, vip_tier=0, registered_at=REGISTERED, restricted=True)
    actions.add_demo_transfers(
        alice,
        [
            DemoTransferSpec(
                "D-1",
                Direction.DEPOSIT,
                "USDT",
                "TRC20",
                "250",
                TransferState.PROCESSING,
                age=timedelta(hours=2),
                address=FULL_ADDRESS,
                txid=TXID,
                confirmations=12,
                confirmations_required=19,
            ),
            DemoTransferSpec(
                "W-2",
                Direction.WITHDRAWAL,
                "ETH",
                "ERC20",
                "0.5",
                TransferState.SECURITY_HOLD,
                age=timedelta(hours=4),
                reason="Withdrawals wait 24 hours after a password change.",
                hold_for=timedelta(hours=20),
            ),
            DemoTransferSpec(
                "W-3",
                Direction.WITHDRAWAL,
                "BTC",
                "Bitcoin",
                "0.00000001",
                TransferState.SENT,
                age=timedelta(hours=5),
                txid="e3a1" * 16,
            ),
            DemoTransferSpec(
                "D-4",
                Direction.DEPOSIT,
                "XRP",
                "XRP Ledger",
                "120",
                TransferState.FAILED,
                age=timedelta(days=1),
                reason="No destination tag.",
            ),
            DemoTransferSpec(
                "W-5",
                Direction.WITHDRAWAL,
                "BTC",
                "Bitcoin",
                "12",
                TransferState.UNDER_REVIEW,
                age=timedelta(days=2),
            ),
        ],
        now,
    )
    actions.set_demo_network("USDT", "TRC20")
    actions.set_demo_network("USDT", "ERC20", congested=True)
    actions.set_demo_network(
        "XRP", "XRP Ledger", deposits_enabled=False, maintenance_until=now + timedelta(hours=3)
    )
    return now


@pytest.fixture
def stub(db: None) -> Iterator[ExchangeStub]:
    server = ExchangeStub(DemoExchange(), KEY, SECRET).start()
    yield server
    server.stop()


def http_exchange(url: str, **options: object) -> HttpExchange:
    settings: dict[str, object] = {
        "api_key": KEY,
        "api_secret": SECRET,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "sleep": Sleeps(),
    }
    settings.update(options)
    return HttpExchange(url, **settings)


@pytest.fixture(params=["demo", "http"])
def exchange(request: pytest.FixtureRequest, ledger: datetime) -> Iterator[DemoExchange | HttpExchange]:
    """Each contract test runs twice: on the demo ledger itself, and over HTTP to the local exchange."""
    if request.param == "demo":
        yield DemoExchange()
        return
    server = ExchangeStub(DemoExchange(), KEY, SECRET).start()
    try:
        yield http_exchange(server.url, breaker=CircuitBreaker(5, 30.0))
    finally:
        server.stop()
