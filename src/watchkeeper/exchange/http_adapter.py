"""The exchange adapter over the signed JSON API of docs/exchange-adapter.md.

Written on the standard library's http.client: it gives separate connect and read timeouts (urllib
has one for both) and Watchkeeper depends on no HTTP client library. Each call:

- is signed (signing.py) and bounded by a connect timeout and a read timeout;
- if it is a read (GET), is retried with a growing pause after a refused or dropped connection or a
  502/503/504 — not after a timeout, which would only make a page wait twice as long;
- passes a circuit breaker: after EXCHANGE_CIRCUIT_FAILURES failed calls in a row, calls fail at once
  for EXCHANGE_CIRCUIT_SECONDS, then one call is let through to see whether the exchange is back.

Every failure to get a usable answer raises ExchangeUnavailable with a message that says which request
failed and how; a refusal by the exchange (4xx) raises ExchangeRefused or AccountNotFound.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from watchkeeper.exchange import signing
from watchkeeper.exchange.adapter import (
    Account,
    AccountNotFound,
    AccountStatus,
    Direction,
    ExchangeRefused,
    ExchangeUnavailable,
    NetworkStatus,
    Transfer,
    TransferState,
    mask_address,
)

logger = logging.getLogger(__name__)

# An answer larger than this is not one the API describes; reading it all would only cost memory.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
_RETRY_STATUSES = frozenset({502, 503, 504})
_USER_AGENT = "Watchkeeper-Exchange/1"


class CircuitBreaker:
    """Shared by every thread of a process (the adapter is one per process), hence the lock.

    Closed: calls go through, failures are counted. After `threshold` failures in a row it opens:
    calls fail at once. After `cooldown` seconds one trial call goes through (half-open); its success
    closes the breaker, its failure opens it for another `cooldown`.
    """

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(threshold, 1)
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self.cooldown:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.info("The exchange answers again; calls resume")
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self.threshold:
                if self._opened_at is None:
                    logger.warning(
                        "The exchange failed %d calls in a row; no calls for %s s",
                        self._failures,
                        self.cooldown,
                    )
                self._opened_at = self._clock()

    def remaining(self) -> float:
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(self.cooldown - (self._clock() - self._opened_at), 0.0)


class _Retryable(Exception):
    """A failed attempt a read may repeat; carries the ExchangeUnavailable to raise if it may not."""

    def __init__(self, error: ExchangeUnavailable) -> None:
        super().__init__(str(error))
        self.error = error


class HttpExchange:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        api_secret: str,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The exchange URL must be http(s)://host[:port][/path], not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = max(retries, 0)
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker(5, 30.0)
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_settings(cls) -> HttpExchange:
        return cls(
            settings.WATCHKEEPER_EXCHANGE_URL,
            api_key=settings.EXCHANGE_API_KEY,
            api_secret=settings.EXCHANGE_API_SECRET,
            connect_timeout=settings.EXCHANGE_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.EXCHANGE_READ_TIMEOUT_SECONDS,
            retries=settings.EXCHANGE_RETRIES,
            breaker=CircuitBreaker(settings.EXCHANGE_CIRCUIT_FAILURES, settings.EXCHANGE_CIRCUIT_SECONDS),
        )

    # ------------------------------------------------------------ the adapter's methods

    def account(self, uid: str) -> Account:
        return _decoded("account", _account, self._call("GET", _account_path(uid)))

    def freeze(self, uid: str, reason: str, actor: str) -> Account:
        payload = self._call("POST", _account_path(uid, "freeze"), {"reason": reason, "actor": actor})
        return _decoded("account", _account, payload)

    def unfreeze(self, uid: str, actor: str, verification: str) -> Account:
        payload = self._call(
            "POST", _account_path(uid, "unfreeze"), {"actor": actor, "verification": verification}
        )
        return _decoded("account", _account, payload)

    def transfers(self, uid: str, *, limit: int = 20, direction: Direction | None = None) -> list[Transfer]:
        query: dict[str, str | int] = {"limit": limit}
        if direction is not None:
            query["direction"] = direction.value
        payload = self._call("GET", f"{_account_path(uid, 'transfers')}?{urlencode(query)}")
        return _decoded("transfers", lambda data: [_transfer(item) for item in data["transfers"]], payload)

    def network_status(self, coin: str | None = None) -> list[NetworkStatus]:
        path = "/networks" + (f"?{urlencode({'coin': coin})}" if coin else "")
        payload = self._call("GET", path)
        return _decoded("networks", lambda data: [_network(item) for item in data["networks"]], payload)

    def verify_second_factor(self, uid: str, code: str) -> bool:
        payload = self._call("POST", _account_path(uid, "verify-second-factor"), {"code": code})
        return _decoded("valid", lambda data: _boolean(data["valid"]), payload)

    # ------------------------------------------------------------ transport

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        request_name = f"{method} {path.split('?', 1)[0]}"
        if not self.breaker.allow():
            raise ExchangeUnavailable(
                _(
                    "The exchange failed several times in a row; Watchkeeper stops asking it for"
                    " %(seconds)d more seconds."
                )
                % {"seconds": round(self.breaker.remaining()) or 1}
            )
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        # Only reads are repeated: a write that timed out may have happened, and must not happen twice.
        attempts = 1 + (self.retries if method == "GET" else 0)
        attempt = 0
        while True:
            try:
                result = self._attempt(method, self.prefix + path, data, request_name)
            except _Retryable as failure:
                attempt += 1
                if attempt < attempts:
                    self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                self._record_unavailable(failure.error)
                raise failure.error from failure
            except ExchangeUnavailable as error:
                self._record_unavailable(error)
                raise
            except (AccountNotFound, ExchangeRefused):
                # The exchange answered: it is up, whatever it thought of the request.
                self.breaker.record_success()
                raise
            except Exception:
                # Not an answer but a fault of ours: it must still end a half-open trial, or the
                # breaker would wait for that trial's outcome for ever.
                self.breaker.record_failure()
                raise
            self.breaker.record_success()
            return result

    def _record_unavailable(self, error: ExchangeUnavailable) -> None:
        self.breaker.record_failure()
        logger.warning("Exchange unavailable: %s", error)

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.connect_timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)

    def _attempt(self, method: str, full_path: str, data: bytes, request_name: str) -> Any:
        where = f"{self.host}:{self.port}"
        connection = self._connection()
        try:
            try:
                connection.connect()
            except TimeoutError as error:
                raise ExchangeUnavailable(
                    _("The exchange at %(where)s did not accept a connection within %(seconds)s s.")
                    % {"where": where, "seconds": self.connect_timeout}
                ) from error
            except ssl.SSLError as error:
                raise ExchangeUnavailable(
                    _("The TLS handshake with the exchange at %(where)s failed: %(reason)s")
                    % {"where": where, "reason": error.reason or error}
                ) from error
            except OSError as error:
                raise _Retryable(
                    ExchangeUnavailable(
                        _("Cannot connect to the exchange at %(where)s: %(reason)s")
                        % {"where": where, "reason": error.strerror or error}
                    )
                ) from error
            assert connection.sock is not None
            connection.sock.settimeout(self.read_timeout)
            headers = signing.headers(
                self.api_key, self.api_secret, method, full_path, int(self._clock()), data
            )
            headers.update({"Accept": "application/json", "User-Agent": _USER_AGENT})
            if data:
                headers["Content-Type"] = "application/json"
            try:
                connection.request(method, full_path, body=data or None, headers=headers)
                response = connection.getresponse()
                raw = response.read(MAX_RESPONSE_BYTES + 1)
            except TimeoutError as error:
                raise ExchangeUnavailable(
                    _("The exchange did not answer %(request)s within %(seconds)s s.")
                    % {"request": request_name, "seconds": self.read_timeout}
                ) from error
            except ConnectionError as error:  # refused, reset, or closed before answering
                raise _Retryable(
                    ExchangeUnavailable(
                        _("The exchange dropped the connection during %(request)s.")
                        % {"request": request_name}
                    )
                ) from error
            except (OSError, http.client.HTTPException) as error:
                raise ExchangeUnavailable(
                    _("The exchange's answer to %(request)s could not be read: %(reason)s")
                    % {"request": request_name, "reason": error}
                ) from error
        finally:
            connection.close()
        return self._interpret(response.status, raw, request_name)

    def _interpret(self, status: int, raw: bytes, request_name: str) -> Any:
        if status in _RETRY_STATUSES:
            raise _Retryable(
                ExchangeUnavailable(
                    _("The exchange answered %(request)s with HTTP %(status)d: it is down or overloaded.")
                    % {"request": request_name, "status": status}
                )
            )
        if status >= 500:
            raise ExchangeUnavailable(
                _("The exchange failed on %(request)s (HTTP %(status)d).")
                % {"request": request_name, "status": status}
            )
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ExchangeUnavailable(
                _("The exchange's answer to %(request)s is larger than %(size)d bytes.")
                % {"request": request_name, "size": MAX_RESPONSE_BYTES}
            )
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ExchangeUnavailable(
                _("The exchange answered %(request)s (HTTP %(status)d) with malformed JSON: %(detail)s")
                % {"request": request_name, "status": status, "detail": str(error)[:200]}
            ) from error
        if not isinstance(payload, dict):
            raise ExchangeUnavailable(
                _("The exchange answered %(request)s with JSON that is not an object.")
                % {"request": request_name}
            )
        if 200 <= status < 300:
            return payload
        details: dict[str, Any] = payload["error"] if isinstance(payload.get("error"), dict) else {}
        message = str(details.get("message") or "")[:500] or _("no reason given")
        if status == 404 and details.get("code") == "account_not_found":
            raise AccountNotFound(message)
        if status == 401:
            raise ExchangeRefused(
                _(
                    "The exchange refused Watchkeeper's signature (%(reason)s): check EXCHANGE_API_KEY,"
                    " EXCHANGE_API_SECRET and the server clock."
                )
                % {"reason": message}
            )
        if 400 <= status < 500:
            raise ExchangeRefused(message)
        raise ExchangeUnavailable(
            _("The exchange answered %(request)s with an unexpected HTTP %(status)d.")
            % {"request": request_name, "status": status}
        )


# ---------------------------------------------------------------- the JSON of docs/exchange-adapter.md


def _account_path(uid: str, action: str = "") -> str:
    return f"/accounts/{quote(uid, safe='')}" + (f"/{action}" if action else "")


def _decoded(what: str, decode: Callable[[Any], Any], payload: Any) -> Any:
    try:
        return decode(payload)
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ExchangeUnavailable(
            _("The exchange's answer has a missing or malformed %(field)s (%(detail)s).")
            % {"field": what, "detail": f"{type(error).__name__}: {error}"[:200]}
        ) from error


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    # The API gives UTC; an offset-less time is read as UTC rather than as the server's local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _optional_moment(value: Any) -> datetime | None:
    return None if value is None else _moment(value)


def _optional_integer(value: Any) -> int | None:
    return None if value is None else _integer(value)


def _account(data: Any) -> Account:
    return Account(
        uid=_text(data["uid"]),
        kyc_level=_integer(data["kyc_level"]),
        vip_tier=_integer(data["vip_tier"]),
        status=AccountStatus(data["status"]),
        two_factor_enabled=_boolean(data["two_factor_enabled"]),
        registered_at=_moment(data["registered_at"]),
    )


def _transfer(data: Any) -> Transfer:
    amount = Decimal(_text(data["amount"]))  # a string: a float would lose digits
    if not amount.is_finite():
        raise ValueError(f"amount {data['amount']!r} is not a number")
    return Transfer(
        reference=_text(data["reference"]),
        direction=Direction(data["direction"]),
        coin=_text(data["coin"]),
        chain=_text(data["chain"]),
        amount=amount,
        state=TransferState(data["state"]),
        created_at=_moment(data["created_at"]),
        address=mask_address(_text(data.get("address") or "")),
        txid=_text(data.get("txid") or ""),
        reason=_text(data.get("reason") or ""),
        hold_until=_optional_moment(data.get("hold_until")),
        confirmations=_optional_integer(data.get("confirmations")),
        confirmations_required=_optional_integer(data.get("confirmations_required")),
    )


def _network(data: Any) -> NetworkStatus:
    return NetworkStatus(
        coin=_text(data["coin"]),
        chain=_text(data["chain"]),
        deposits_enabled=_boolean(data["deposits_enabled"]),
        withdrawals_enabled=_boolean(data["withdrawals_enabled"]),
        congested=_boolean(data["congested"]),
        maintenance_until=_optional_moment(data.get("maintenance_until")),
    )
