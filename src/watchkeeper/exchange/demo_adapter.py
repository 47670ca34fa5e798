"""The exchange played by the demo ledger in our own database (models.py), for `make run` and tests.

It keeps the same contract as the HTTP adapter, refusals included (tests/test_contract.py runs the same
tests against both), so what works against the demo works against a real exchange.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils.translation import gettext as _

from watchkeeper.exchange import actions
from watchkeeper.exchange.adapter import (
    TRANSFER_LIMIT_MAX,
    Account,
    AccountNotFound,
    Direction,
    ExchangeRefused,
    NetworkStatus,
    Transfer,
)
from watchkeeper.exchange.models import DemoAccount, DemoNetwork, DemoTransfer

TOTP_STEP_SECONDS = 30
# A code from the step before or after the current one still counts: phone clocks drift.
TOTP_TOLERANCE_STEPS = 1
_CODE = re.compile(r"\d{6}")


def _account_not_found(uid: str) -> AccountNotFound:
    return AccountNotFound(_("The exchange has no account %(uid)s.") % {"uid": uid})


def _check_freeze(reason: str, actor: str) -> None:
    if not reason.strip() or not actor.strip():
        raise ExchangeRefused(_("A freeze needs a reason and the name of whoever asks for it."))


def _check_unfreeze(actor: str, verification: str) -> None:
    if not actor.strip() or not verification.strip():
        raise ExchangeRefused(
            _("Lifting a freeze needs the name of whoever asks and the identity check that justifies it.")
        )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= TRANSFER_LIMIT_MAX:
        raise ExchangeRefused(_("Ask for 1 to %(max)d transfers at a time.") % {"max": TRANSFER_LIMIT_MAX})


class DemoExchange:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def _row(self, uid: str) -> DemoAccount:
        row = DemoAccount.objects.filter(uid=uid).first()
        if row is None:
            raise _account_not_found(uid)
        return row

    def account(self, uid: str) -> Account:
        return self._row(uid).as_account()

    def freeze(self, uid: str, reason: str, actor: str) -> Account:
        _check_freeze(reason, actor)
        row = actions.freeze_demo_account(uid, reason=reason.strip(), actor=actor.strip())
        if row is None:
            raise _account_not_found(uid)
        return row.as_account()

    def unfreeze(self, uid: str, actor: str, verification: str) -> Account:
        _check_unfreeze(actor, verification)
        row = actions.unfreeze_demo_account(uid, actor=actor.strip(), verification=verification.strip())
        if row is None:
            raise _account_not_found(uid)
        return row.as_account()

    def transfers(self, uid: str, *, limit: int = 20, direction: Direction | None = None) -> list[Transfer]:
        _check_limit(limit)
        rows = DemoTransfer.objects.filter(account__uid=uid)
        if direction is not None:
            rows = rows.filter(direction=direction)
        found = [row.as_transfer() for row in rows[:limit]]
        if not found and not DemoAccount.objects.filter(uid=uid).exists():
            raise _account_not_found(uid)
        return found

    def network_status(self, coin: str | None = None) -> list[NetworkStatus]:
        rows = DemoNetwork.objects.all()
        if coin:
            rows = rows.filter(coin__iexact=coin)
        return [row.as_status() for row in rows]

    def verify_second_factor(self, uid: str, code: str) -> bool:
        row = self._row(uid)
        if not row.totp_secret:
            raise ExchangeRefused(_("The account %(uid)s has no second factor set up.") % {"uid": uid})
        code = code.replace(" ", "")
        if not _CODE.fullmatch(code):
            return False
        current = int(self._clock()) // TOTP_STEP_SECONDS
        for step in range(current - TOTP_TOLERANCE_STEPS, current + TOTP_TOLERANCE_STEPS + 1):
            if hmac.compare_digest(format_hotp_value(hotp_value(row.totp_secret, step)), code):
                return step > row.totp_last_step and actions.spend_demo_totp_step(uid, step)
        return False
