"""A local exchange for the HTTP adapter's tests: the API of docs/exchange-adapter.md, written from that
document (it shares no encoding code with the client), answering from the demo ledger, and refusing
every request whose signature or timestamp is wrong, as a real exchange must.

Faults can be queued to make the next requests fail in a chosen way: an HTTP status, a slow answer,
or a body that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.db import connections

from watchkeeper.exchange import signing
from watchkeeper.exchange.adapter import (
    Account,
    AccountNotFound,
    Direction,
    ExchangeRefused,
    NetworkStatus,
    Transfer,
)
from watchkeeper.exchange.demo_adapter import DemoExchange

PREFIX = "/wk/v1"


@dataclass(frozen=True)
class Fault:
    status: int = 200
    body: bytes = b""
    slow: bool = False  # hold the answer until the test ends (or 10 s)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    refusal: str  # why the signature check refused it, "" if it passed


@dataclass
class ExchangeStub:
    exchange: DemoExchange
    key: str
    secret: str
    clock: Callable[[], float] = time.time
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: HTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def start(self) -> ExchangeStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.handle(self)

            def do_POST(self) -> None:
                stub.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        # The test's own database connection, lent to the server thread as Django's live server does:
        # the server sees the rows the test made inside its transaction. Requests are served one at a
        # time while the test waits for the answer, so the connection is never used by both at once.
        connection = connections["default"]
        connection.inc_thread_sharing()

        def serve() -> None:
            connections["default"] = connection
            assert self.server is not None
            self.server.serve_forever(poll_interval=0.05)

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=10)
        connections["default"].dec_thread_sharing()

    # ------------------------------------------------------------ serving

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {name: value for name, value in request.headers.items()}
        refusal = signing.verify(
            {self.key: self.secret}, request.command, request.path, headers, body, now=int(self.clock())
        )
        self.seen.append(Seen(request.command, request.path, headers, body, refusal))
        if refusal:
            self.reply(request, 401, {"error": {"code": "unauthorized", "message": refusal}})
            return
        if self.faults:
            fault = self.faults.pop(0)
            if fault.slow:
                self.release.wait(10)
            self.reply_raw(
                request, fault.status, fault.body or json.dumps({"error": {"message": "fault"}}).encode()
            )
            return
        try:
            status, payload = self.route(request.command, request.path, body)
        except AccountNotFound as error:
            status, payload = 404, {"error": {"code": "account_not_found", "message": str(error)}}
        except ExchangeRefused as error:
            status, payload = 422, {"error": {"code": "refused", "message": str(error)}}
        except (ValueError, KeyError) as error:
            status, payload = 400, {"error": {"code": "invalid_request", "message": str(error)}}
        self.reply(request, status, payload)

    def reply(self, request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        self.reply_raw(request, status, json.dumps(payload).encode())

    def reply_raw(self, request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the slow fault)

    def route(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        if not parts.path.startswith(PREFIX + "/"):
            return 404, {"error": {"code": "not_found", "message": "no such path"}}
        segments = [unquote(segment) for segment in parts.path[len(PREFIX) + 1 :].split("/")]
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        data = json.loads(body) if body else {}
        match method, segments:
            case "GET", ["networks"]:
                return 200, {
                    "networks": [network_json(n) for n in self.exchange.network_status(query.get("coin"))]
                }
            case "GET", ["accounts", uid]:
                return 200, account_json(self.exchange.account(uid))
            case "GET", ["accounts", uid, "transfers"]:
                direction = Direction(query["direction"]) if "direction" in query else None
                found = self.exchange.transfers(uid, limit=int(query.get("limit", "20")), direction=direction)
                return 200, {"transfers": [transfer_json(t) for t in found]}
            case "POST", ["accounts", uid, "freeze"]:
                return 200, account_json(self.exchange.freeze(uid, data["reason"], data["actor"]))
            case "POST", ["accounts", uid, "unfreeze"]:
                return 200, account_json(self.exchange.unfreeze(uid, data["actor"], data["verification"]))
            case "POST", ["accounts", uid, "verify-second-factor"]:
                return 200, {"valid": self.exchange.verify_second_factor(uid, data["code"])}
        return 404, {"error": {"code": "not_found", "message": "no such path"}}


def moment(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def account_json(account: Account) -> dict[str, Any]:
    return {
        "uid": account.uid,
        "kyc_level": account.kyc_level,
        "vip_tier": account.vip_tier,
        "status": account.status.value,
        "two_factor_enabled": account.two_factor_enabled,
        "registered_at": moment(account.registered_at),
    }


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "reference": transfer.reference,
        "direction": transfer.direction.value,
        "coin": transfer.coin,
        "chain": transfer.chain,
        "amount": format(transfer.amount, "f"),
        "state": transfer.state.value,
        "created_at": moment(transfer.created_at),
        "address": transfer.address,
        "txid": transfer.txid or None,
        "reason": transfer.reason or None,
        "hold_until": moment(transfer.hold_until),
        "confirmations": transfer.confirmations,
        "confirmations_required": transfer.confirmations_required,
    }


def network_json(network: NetworkStatus) -> dict[str, Any]:
    return {
        "coin": network.coin,
        "chain": network.chain,
        "deposits_enabled": network.deposits_enabled,
        "withdrawals_enabled": network.withdrawals_enabled,
        "congested": network.congested,
        "maintenance_until": moment(network.maintenance_until),
    }
