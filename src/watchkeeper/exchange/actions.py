"""Every write of the exchange app. The real exchange keeps its own books, so the only rows written here
are the demo ledger's (models.py): what DemoExchange changes when asked to freeze, unfreeze or check a
code, and what the demo loader seeds for `make run`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from watchkeeper.accounts import queries as account_queries
from watchkeeper.exchange.adapter import Direction, TransferState
from watchkeeper.exchange.models import DemoAccount, DemoNetwork, DemoTransfer


def add_demo_account(
    uid: str,
    *,
    kyc_level: int,
    vip_tier: int,
    registered_at: datetime,
    totp_secret: str = "",
    restricted: bool = False,
) -> DemoAccount:
    return DemoAccount.objects.create(
        uid=uid,
        kyc_level=kyc_level,
        vip_tier=vip_tier,
        registered_at=registered_at,
        totp_secret=totp_secret,
        restricted=restricted,
    )


@dataclass(frozen=True)
class DemoTransferSpec:
    reference: str
    direction: Direction
    coin: str
    chain: str
    amount: str
    state: TransferState
    age: timedelta  # how long before the moment of seeding it was made
    address: str = ""
    txid: str = ""
    reason: str = ""
    hold_for: timedelta | None = None  # a security hold ends this long after seeding
    confirmations: int | None = None
    confirmations_required: int | None = None


def add_demo_transfers(account: DemoAccount, specs: list[DemoTransferSpec], now: datetime) -> None:
    DemoTransfer.objects.bulk_create(
        DemoTransfer(
            account=account,
            reference=spec.reference,
            direction=spec.direction,
            coin=spec.coin,
            chain=spec.chain,
            amount=Decimal(spec.amount),
            state=spec.state,
            address=spec.address,
            txid=spec.txid,
            reason=spec.reason,
            hold_until=now + spec.hold_for if spec.hold_for is not None else None,
            confirmations=spec.confirmations,
            confirmations_required=spec.confirmations_required,
            created_at=now - spec.age,
        )
        for spec in specs
    )


def set_demo_network(
    coin: str,
    chain: str,
    *,
    deposits_enabled: bool = True,
    withdrawals_enabled: bool = True,
    congested: bool = False,
    maintenance_until: datetime | None = None,
) -> None:
    DemoNetwork.objects.update_or_create(
        coin=coin,
        chain=chain,
        defaults={
            "deposits_enabled": deposits_enabled,
            "withdrawals_enabled": withdrawals_enabled,
            "congested": congested,
            "maintenance_until": maintenance_until,
        },
    )


@transaction.atomic
def freeze_demo_account(
    uid: str, *, reason: str, actor: str, now: datetime | None = None
) -> DemoAccount | None:
    """Freeze, keeping the first freeze's reason and time when it is already frozen. None: no account."""
    DemoAccount.objects.filter(uid=uid, frozen_at__isnull=True).update(
        frozen_at=now or timezone.now(), frozen_reason=reason[:500], frozen_by=actor[:200]
    )
    return DemoAccount.objects.filter(uid=uid).first()


@transaction.atomic
def unfreeze_demo_account(uid: str, *, actor: str, verification: str) -> DemoAccount | None:
    DemoAccount.objects.filter(uid=uid, frozen_at__isnull=False).update(
        frozen_at=None,
        frozen_reason="",
        unfrozen_by=actor[:200],
        unfreeze_verification=verification[:200],
    )
    return DemoAccount.objects.filter(uid=uid).first()


def spend_demo_totp_step(uid: str, step: int) -> bool:
    """Record that the code of this time step was used. False if it (or a later one) already was: one
    conditional UPDATE, so two requests racing with the same code cannot both succeed."""
    return bool(DemoAccount.objects.filter(uid=uid, totp_last_step__lt=step).update(totp_last_step=step))


# ---------------------------------------------------------------- the demo ledger for `make run`

# The transaction id Dana quotes in her demo ticket (tickets.demo): the agent and Dana both see it here.
DEMO_DEPOSIT_TXID = "7b1e" * 16
# Published on purpose, like the demo passwords: add one to an authenticator app to make codes that
# DemoExchange.verify_second_factor accepts.
DEMO_TOTP_SECRETS = {
    "customer@demo.watchkeeper.test": "MRQW4YJNMRSW23ZNGJTGCLLTMVRXEZLU",
    "vip@demo.watchkeeper.test": "OZUWG5DPOIWXM2LQFVSGK3LPFUZGMYJB",
}

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoAccountSpec:
    kyc_level: int
    vip_tier: int
    registered_at: datetime
    transfers: list[DemoTransferSpec]


DEMO_LEDGER: dict[str, DemoAccountSpec] = {
    "customer@demo.watchkeeper.test": DemoAccountSpec(
        kyc_level=2,
        vip_tier=0,
        registered_at=datetime.fromisoformat("2022-05-17T08:41:00+00:00"),
        transfers=[
            DemoTransferSpec(
                "W-1005",
                Direction.WITHDRAWAL,
                "USDT",
                "ERC20",
                "100",
                TransferState.SENT,
                age=timedelta(minutes=40),
                address="0x8f3a21c9b4e6d7f0a1b2c3d4e5f60718293a4b5c",
                txid="0x" + "5c0d" * 16,
            ),
            DemoTransferSpec(
                "D-1001",
                Direction.DEPOSIT,
                "USDT",
                "TRC20",
                "250",
                TransferState.PROCESSING,
                age=2 * _HOUR,
                address="TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                txid=DEMO_DEPOSIT_TXID,
                confirmations=12,
                confirmations_required=19,
            ),
            DemoTransferSpec(
                "W-1002",
                Direction.WITHDRAWAL,
                "ETH",
                "ERC20",
                "0.5",
                TransferState.SECURITY_HOLD,
                age=4 * _HOUR,
                address="0x2b7e9c1d0a3f5e6b8c9d0e1f2a3b4c5d6e7f8091",
                reason="Withdrawals wait 24 hours after a password change.",
                hold_for=20 * _HOUR,
            ),
            DemoTransferSpec(
                "D-1003",
                Direction.DEPOSIT,
                "XRP",
                "XRP Ledger",
                "120",
                TransferState.FAILED,
                age=_DAY,
                address="rDsbeomae4FXwgQTJp9Rs64Qg9vDiTCdBv",
                txid="9f4c" * 16,
                reason="The deposit had no destination tag (memo), so it was not credited automatically.",
            ),
            DemoTransferSpec(
                "D-1004",
                Direction.DEPOSIT,
                "BTC",
                "Bitcoin",
                "0.015",
                TransferState.COMPLETED,
                age=3 * _DAY,
                address="bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
                txid="e3a1" * 16,
            ),
        ],
    ),
    "vip@demo.watchkeeper.test": DemoAccountSpec(
        kyc_level=3,
        vip_tier=3,
        registered_at=datetime.fromisoformat("2019-11-02T14:05:00+00:00"),
        transfers=[
            DemoTransferSpec(
                "W-2001",
                Direction.WITHDRAWAL,
                "BTC",
                "Bitcoin",
                "12",
                TransferState.UNDER_REVIEW,
                age=_HOUR,
                address="bc1q9h6mqc7d8sx0k3v0p6r8x2l4t5y7u9w0e2r4t6",
                reason="Large withdrawals are checked by our team, usually within 4 hours.",
            ),
            DemoTransferSpec(
                "D-2002",
                Direction.DEPOSIT,
                "USDT",
                "ERC20",
                "50000",
                TransferState.COMPLETED,
                age=2 * _DAY,
                address="0x4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
                txid="0x" + "a7d3" * 16,
            ),
            DemoTransferSpec(
                "W-2003",
                Direction.WITHDRAWAL,
                "BTC",
                "Bitcoin",
                "2.5",
                TransferState.COMPLETED,
                age=6 * _DAY,
                address="bc1q9h6mqc7d8sx0k3v0p6r8x2l4t5y7u9w0e2r4t6",
                txid="c1b2" * 16,
            ),
        ],
    ),
}


@transaction.atomic
def load_demo_ledger() -> list[str]:
    """Seed the demo exchange for the demo customers (accounts' demo loader runs first and gives them
    their exchange account ids). Idempotent: an account already in the ledger is left as it is."""
    now = timezone.now()
    if not DemoNetwork.objects.exists():
        for coin, chain in [("BTC", "Bitcoin"), ("ETH", "ERC20"), ("USDT", "TRC20"), ("SOL", "Solana")]:
            set_demo_network(coin, chain)
        set_demo_network("USDT", "ERC20", congested=True)
        set_demo_network("XRP", "XRP Ledger", deposits_enabled=False, maintenance_until=now + 3 * _HOUR)
    uids = account_queries.exchange_account_ids(DEMO_LEDGER)
    lines = ["Demo exchange ledger (set WATCHKEEPER_EXCHANGE_URL to use a real exchange):"]
    for email, spec in DEMO_LEDGER.items():
        uid = uids.get(email)
        if not uid:
            continue
        account = DemoAccount.objects.filter(uid=uid).first()
        if account is None:
            account = add_demo_account(
                uid,
                kyc_level=spec.kyc_level,
                vip_tier=spec.vip_tier,
                registered_at=spec.registered_at,
                totp_secret=DEMO_TOTP_SECRETS[email],
            )
            add_demo_transfers(account, spec.transfers, now)
        lines.append(f"  {uid} for {email}, 2FA secret {account.totp_secret or '(none)'}")
    return lines
