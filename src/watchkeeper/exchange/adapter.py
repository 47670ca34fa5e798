"""The one interface to the exchange's back office: what support reads about a customer's account and
transfers, and the few things it may ask the exchange to do.

Two implementations keep this contract (one test suite, `tests/test_contract.py`, runs against both):
`http_adapter.HttpExchange` speaks the signed JSON API of docs/exchange-adapter.md, and
`demo_adapter.DemoExchange` plays the exchange from tables in our own database, for `make run` and for
tests. `get_adapter()` picks one for the process: HTTP when WATCHKEEPER_EXCHANGE_URL is set.

Pages do not call the adapter directly: `exchange.queries` does, caches briefly, and turns an exchange
that is down into a result that says so, so no page fails because the back office does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("exchange account status", "Active")
    FROZEN = "frozen", _("Frozen")
    # Limited by the exchange itself (compliance, a court order): support cannot lift it.
    RESTRICTED = "restricted", _("Restricted")


class Direction(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class TransferState(models.TextChoices):
    UNDER_REVIEW = "under_review", _("Under review")
    SECURITY_HOLD = "security_hold", _("Security hold")
    PROCESSING = "processing", _("Processing")
    SENT = "sent", _("Sent")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", pgettext_lazy("deposit or withdrawal state", "Failed")


@dataclass(frozen=True)
class Account:
    uid: str
    kyc_level: int
    vip_tier: int
    status: AccountStatus
    two_factor_enabled: bool
    registered_at: datetime


@dataclass(frozen=True)
class Transfer:
    """A deposit or withdrawal as the exchange sees it. `reason` is written for the customer: why it
    failed, is held or is reviewed. `txid` is set once the transfer is on chain; `hold_until` only in
    a security hold."""

    reference: str
    direction: Direction
    coin: str
    chain: str
    amount: Decimal
    state: TransferState
    created_at: datetime
    address: str = ""  # masked: enough to recognise it, not to copy it
    txid: str = ""
    reason: str = ""
    hold_until: datetime | None = None
    confirmations: int | None = None
    confirmations_required: int | None = None

    @property
    def amount_text(self) -> str:
        return format(self.amount, "f")  # str() of Decimal("1E-8") would show the exponent


@dataclass(frozen=True)
class NetworkStatus:
    coin: str
    chain: str
    deposits_enabled: bool
    withdrawals_enabled: bool
    congested: bool
    maintenance_until: datetime | None = None

    def in_maintenance(self, now: datetime | None = None) -> bool:
        return self.maintenance_until is not None and self.maintenance_until > (now or timezone.now())

    @property
    def has_problem(self) -> bool:
        return (
            not self.deposits_enabled
            or not self.withdrawals_enabled
            or self.congested
            or self.in_maintenance()
        )


class ExchangeError(Exception):
    """Anything the exchange could not do; the message says what, in the reader's language."""


class ExchangeUnavailable(ExchangeError):
    """The exchange is down, too slow, answered nonsense, or the circuit breaker stopped asking it."""


class AccountNotFound(ExchangeError):
    pass


class ExchangeRefused(ExchangeError):
    """The exchange understood the request and said no (a 4xx), with its reason."""


TRANSFER_LIMIT_MAX = 100


class ExchangeAdapter(Protocol):
    def account(self, uid: str) -> Account: ...

    def freeze(self, uid: str, reason: str, actor: str) -> Account:
        """Freeze at once (trading, withdrawals, API keys). Freezing a frozen account is no error."""
        ...

    def unfreeze(self, uid: str, actor: str, verification: str) -> Account:
        """Lift a freeze; `verification` names the identity check that justified it. A restriction the
        exchange imposed stays. Unfreezing an account that is not frozen is no error."""
        ...

    def transfers(self, uid: str, *, limit: int = 20, direction: Direction | None = None) -> list[Transfer]:
        """The newest first; `limit` from 1 to TRANSFER_LIMIT_MAX."""
        ...

    def network_status(self, coin: str | None = None) -> list[NetworkStatus]: ...

    def verify_second_factor(self, uid: str, code: str) -> bool:
        """Whether `code` is the account's current second-factor code. A code is good once."""
        ...


def mask_address(address: str) -> str:
    """Enough of an address for a customer and an agent to recognise it, not enough to copy it."""
    if len(address) <= 12:
        return address
    return f"{address[:6]}…{address[-4:]}"


def plain_amount(amount: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent: 250, not 250.000000 or 2.5E+2."""
    normalized = amount.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


@functools.cache
def get_adapter() -> ExchangeAdapter:
    """The process's adapter. One instance, so the HTTP one's circuit breaker sees every call."""
    if settings.WATCHKEEPER_EXCHANGE_URL:
        from watchkeeper.exchange.http_adapter import HttpExchange

        return HttpExchange.from_settings()
    from watchkeeper.exchange.demo_adapter import DemoExchange

    return DemoExchange()


def forget_adapter(*, setting: str = "", **kwargs: Any) -> None:
    """Build the adapter again after a change of its settings (tests; a settings_changed receiver)."""
    if not setting or setting == "WATCHKEEPER_EXCHANGE_URL" or setting.startswith("EXCHANGE_"):
        get_adapter.cache_clear()
