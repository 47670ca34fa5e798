"""What pages (and later the chat and the bot) read from the exchange.

These never raise because the exchange is down or refuses: they return a snapshot whose `state` says
so, and the page shows what it has. Answers are cached for EXCHANGE_CACHE_SECONDS, so opening a ticket
again, or the agent and the customer both looking, costs the exchange one call; failures are not
cached, the circuit breaker already keeps a down exchange from being asked again and again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from watchkeeper.exchange.adapter import (
    Account,
    AccountNotFound,
    ExchangeRefused,
    ExchangeUnavailable,
    NetworkStatus,
    Transfer,
    get_adapter,
)

OK = "ok"
UNAVAILABLE = "unavailable"
NOT_FOUND = "not_found"
REFUSED = "refused"


@dataclass(frozen=True)
class AccountSnapshot:
    uid: str
    state: str  # OK, UNAVAILABLE, NOT_FOUND or REFUSED
    problem: str = ""  # the adapter's message when the state is not OK
    account: Account | None = None
    transfers: tuple[Transfer, ...] = ()
    # The networks of the coins in question (those of the transfers, and any the caller names) that
    # are disabled, congested or in maintenance.
    network_warnings: tuple[NetworkStatus, ...] = ()

    @property
    def available(self) -> bool:
        return self.state == OK


def _key(kind: str, *parts: object) -> str:
    # Account ids come from outside: hashed, they make a valid cache key whatever characters they hold.
    digest = hashlib.sha256("\x00".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"exchange:{kind}:{digest}"


def _account_and_transfers(uid: str, limit: int) -> tuple[Account, tuple[Transfer, ...]]:
    key = _key("account", uid, limit)
    cached = cache.get(key)
    if cached is not None:
        return cached
    adapter = get_adapter()
    found = (adapter.account(uid), tuple(adapter.transfers(uid, limit=limit)))
    cache.set(key, found, settings.EXCHANGE_CACHE_SECONDS)
    return found


def _networks() -> list[NetworkStatus]:
    key = _key("networks")
    cached = cache.get(key)
    if cached is not None:
        return cached
    networks = get_adapter().network_status()
    cache.set(key, networks, settings.EXCHANGE_CACHE_SECONDS)
    return networks


def account_snapshot(uid: str, *, coins: Iterable[str] = (), limit: int = 10) -> AccountSnapshot:
    """The account, its `limit` most recent transfers, and warnings about the networks involved."""
    try:
        account, transfers = _account_and_transfers(uid, limit)
        networks = _networks()
    except ExchangeUnavailable as error:
        return AccountSnapshot(uid=uid, state=UNAVAILABLE, problem=str(error))
    except AccountNotFound as error:
        return AccountSnapshot(uid=uid, state=NOT_FOUND, problem=str(error))
    except ExchangeRefused as error:
        return AccountSnapshot(uid=uid, state=REFUSED, problem=str(error))
    involved = {coin.strip().upper() for coin in coins if coin} | {t.coin.upper() for t in transfers}
    return AccountSnapshot(
        uid=uid,
        state=OK,
        account=account,
        transfers=transfers,
        network_warnings=tuple(n for n in networks if n.coin.upper() in involved and n.has_problem),
    )
