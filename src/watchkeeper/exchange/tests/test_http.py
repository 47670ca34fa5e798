"""What only the HTTP adapter has to get right: signatures, timeouts, retries, the circuit breaker, and a
clear error for every way an exchange can fail."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import time
from datetime import datetime
from typing import Any

import pytest
from django.test import override_settings

from watchkeeper.exchange import get_adapter
from watchkeeper.exchange.adapter import AccountStatus, ExchangeRefused, ExchangeUnavailable
from watchkeeper.exchange.checks import exchange_settings
from watchkeeper.exchange.demo_adapter import DemoExchange
from watchkeeper.exchange.http_adapter import CircuitBreaker, HttpExchange
from watchkeeper.exchange.tests.conftest import KEY, SECRET, Clock, Sleeps, http_exchange
from watchkeeper.exchange.tests.server import PREFIX, ExchangeStub, Fault

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raw_request(
    stub: ExchangeStub, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> Any:
    assert stub.server is not None
    host, port = stub.server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


# ---------------------------------------------------------------- signatures


def test_every_request_is_signed_as_the_documentation_says(stub: ExchangeStub, ledger: datetime) -> None:
    exchange = http_exchange(stub.url)
    exchange.account("EX-100")
    exchange.transfers("EX-100", limit=3)
    exchange.freeze("EX-100", "Stolen phone", "agent@example.test")
    assert [(seen.method, seen.path) for seen in stub.seen] == [
        ("GET", f"{PREFIX}/accounts/EX-100"),
        ("GET", f"{PREFIX}/accounts/EX-100/transfers?limit=3"),
        ("POST", f"{PREFIX}/accounts/EX-100/freeze"),
    ]
    assert all(seen.refusal == "" for seen in stub.seen)
    for seen in stub.seen:
        # Recomputed here from the documented recipe, not with the code under test.
        signed = "\n".join(
            [seen.method, seen.path, seen.headers["X-WK-Timestamp"], hashlib.sha256(seen.body).hexdigest()]
        )
        expected = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).hexdigest()
        assert seen.headers["X-WK-Signature"] == expected
        assert seen.headers["X-WK-Key"] == KEY
        assert abs(int(seen.headers["X-WK-Timestamp"]) - time.time()) < 60
    assert json.loads(stub.seen[2].body) == {"reason": "Stolen phone", "actor": "agent@example.test"}


def test_tampered_stale_or_unsigned_requests_are_refused(stub: ExchangeStub, ledger: datetime) -> None:
    exchange = http_exchange(stub.url)
    exchange.account("EX-100")
    good = stub.seen[0]
    headers = dict(good.headers)
    # The signature of one account's read does not open another account.
    status, payload = raw_request(stub, "GET", f"{PREFIX}/accounts/EX-200", headers)
    assert (status, payload["error"]["message"]) == (401, "bad signature")
    # Nor does it sign a write.
    body = b'{"reason":"x","actor":"y"}'
    status, _payload = raw_request(stub, "POST", f"{PREFIX}/accounts/EX-100/freeze", headers, body)
    assert status == 401
    stale = {**headers, "X-WK-Timestamp": str(int(good.headers["X-WK-Timestamp"]) - 3600)}
    status, payload = raw_request(stub, "GET", good.path, stale)
    assert (status, payload["error"]["message"]) == (401, "timestamp too far from the server's clock")
    status, payload = raw_request(stub, "GET", good.path, {"X-WK-Key": "someone-else"})
    assert (status, payload["error"]["message"]) == (401, "unknown key")
    # And the untouched request still passes, so the refusals above are about the changes.
    status, payload = raw_request(stub, "GET", good.path, headers)
    assert (status, payload["uid"]) == (200, "EX-100")
    assert DemoExchange().account("EX-100").status == AccountStatus.ACTIVE


def test_a_wrong_secret_is_reported_as_a_signature_problem(stub: ExchangeStub, ledger: datetime) -> None:
    exchange = http_exchange(stub.url, api_secret="not-the-secret")
    with pytest.raises(ExchangeRefused, match="refused Watchkeeper's signature"):
        exchange.account("EX-100")
    # A refusal means the exchange is up: it does not count towards opening the circuit.
    assert not exchange.breaker.is_open


# ---------------------------------------------------------------- failures


def test_an_exchange_that_is_down_fails_at_once_with_a_clear_message(db: None) -> None:
    sleeps = Sleeps()
    exchange = http_exchange(f"http://127.0.0.1:{closed_port()}/wk/v1", sleep=sleeps)
    with pytest.raises(ExchangeUnavailable, match=r"Cannot connect to the exchange at 127\.0\.0\.1"):
        exchange.account("EX-100")
    # A read is tried three times, with a growing pause; nothing waited for a timeout.
    assert sleeps == [0.2, 0.4]


def test_writes_are_not_retried(stub: ExchangeStub, ledger: datetime) -> None:
    stub.faults.append(Fault(status=503))
    sleeps = Sleeps()
    exchange = http_exchange(stub.url, sleep=sleeps)
    with pytest.raises(ExchangeUnavailable, match="HTTP 503"):
        exchange.freeze("EX-100", "Stolen phone", "agent@example.test")
    assert len(stub.seen) == 1 and sleeps == []


def test_a_slow_exchange_times_out_and_is_not_asked_again(stub: ExchangeStub, ledger: datetime) -> None:
    stub.faults.append(Fault(slow=True))
    exchange = http_exchange(stub.url, read_timeout=0.3)
    with pytest.raises(ExchangeUnavailable, match=r"did not answer GET /accounts/EX-100 within 0.3 s"):
        exchange.account("EX-100")
    # Retrying a timeout would make the page wait twice as long for the same silence.
    assert len(stub.seen) == 1


def test_503_then_200_is_retried(stub: ExchangeStub, ledger: datetime) -> None:
    stub.faults.extend([Fault(status=503), Fault(status=502)])
    sleeps = Sleeps()
    exchange = http_exchange(stub.url, sleep=sleeps)
    assert exchange.account("EX-100").uid == "EX-100"
    assert len(stub.seen) == 3 and sleeps == [0.2, 0.4]
    assert not exchange.breaker.is_open


def test_a_refusal_carries_the_exchanges_reason(stub: ExchangeStub, ledger: datetime) -> None:
    body = json.dumps({"error": {"code": "locked", "message": "Locked by compliance case 77"}}).encode()
    stub.faults.append(Fault(status=409, body=body))
    with pytest.raises(ExchangeRefused, match="Locked by compliance case 77"):
        http_exchange(stub.url).account("EX-100")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Bad gateway</html>", "with malformed JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"uid": "EX-100", "kyc_level": "two"}', "malformed account"),
    ],
)
def test_an_answer_that_cannot_be_read_is_unavailable(
    stub: ExchangeStub, ledger: datetime, body: bytes, message: str
) -> None:
    stub.faults.append(Fault(status=200, body=body))
    with pytest.raises(ExchangeUnavailable, match=message):
        http_exchange(stub.url).account("EX-100")


def test_the_circuit_opens_after_repeated_failures_and_closes_after_the_cool_down(
    stub: ExchangeStub, ledger: datetime
) -> None:
    clock = Clock()
    exchange = http_exchange(stub.url, retries=0, breaker=CircuitBreaker(3, 30.0, clock=clock))
    stub.faults.extend([Fault(status=500)] * 3)
    for _attempt in range(3):
        with pytest.raises(ExchangeUnavailable, match="HTTP 500"):
            exchange.account("EX-100")
    assert exchange.breaker.is_open and len(stub.seen) == 3
    # Open: no request leaves, the answer comes at once and says why.
    with pytest.raises(ExchangeUnavailable, match="stops asking it for 30 more seconds"):
        exchange.account("EX-100")
    assert len(stub.seen) == 3
    # After the cool-down one trial goes through; it fails, and the circuit opens again.
    clock.now += 31
    stub.faults.append(Fault(status=500))
    with pytest.raises(ExchangeUnavailable, match="HTTP 500"):
        exchange.account("EX-100")
    assert len(stub.seen) == 4
    with pytest.raises(ExchangeUnavailable, match="stops asking"):
        exchange.account("EX-100")
    # The next trial succeeds and closes it: calls flow again.
    clock.now += 31
    assert exchange.account("EX-100").uid == "EX-100"
    assert not exchange.breaker.is_open
    assert exchange.account("EX-200").uid == "EX-200"
    assert len(stub.seen) == 6


def test_only_one_trial_call_while_half_open() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10.0, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.now += 11
    assert breaker.allow()
    assert not breaker.allow()  # a second caller while the trial runs fails fast
    breaker.record_success()
    assert breaker.allow() and breaker.allow()


# ---------------------------------------------------------------- choosing the adapter


def test_get_adapter_is_http_when_an_exchange_url_is_set_and_one_per_process() -> None:
    assert isinstance(get_adapter(), DemoExchange)
    with override_settings(
        WATCHKEEPER_EXCHANGE_URL="https://backoffice.example.test/wk/v1",
        EXCHANGE_API_KEY=KEY,
        EXCHANGE_API_SECRET=SECRET,
    ):
        adapter = get_adapter()
        assert isinstance(adapter, HttpExchange)
        assert (adapter.host, adapter.port, adapter.prefix) == ("backoffice.example.test", 443, "/wk/v1")
        assert get_adapter() is adapter  # one breaker for the whole process
    assert isinstance(get_adapter(), DemoExchange)


def test_checks_report_a_missing_key_and_plain_http_to_another_host() -> None:
    assert exchange_settings() == []
    with override_settings(WATCHKEEPER_EXCHANGE_URL="http://backoffice.example.test", EXCHANGE_API_KEY=""):
        ids = {message.id for message in exchange_settings()}
    assert ids == {"exchange.E002", "exchange.W001"}
    with override_settings(
        WATCHKEEPER_EXCHANGE_URL="http://127.0.0.1:9000", EXCHANGE_API_KEY=KEY, EXCHANGE_API_SECRET=SECRET
    ):
        assert exchange_settings() == []
