"""Ticket categories and the structured details each one asks for.

A deposit that did not arrive cannot be traced without the coin, the network and the transaction id,
so the form asks for them up front and checks their shape: the agent starts with what they need
instead of a first reply that asks for it. Values are kept as text in `Ticket.fields`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Transaction ids: 64 hex digits (Bitcoin and its forks, Tron, and EVM chains with 0x), or base58
# signatures (Solana: 87-88 characters).
_TXID = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$|^[1-9A-HJ-NP-Za-km-z]{80,90}$")
# Addresses: EVM (0x + 40 hex), Bitcoin-style base58 (1..., 3..., also Tron T...), bech32 (bc1, ltc1,
# tb1 ...), and the base58 public keys of Solana and similar chains. Shape only; the checksum is the
# back office's business.
_ADDRESS = re.compile(
    r"^0x[0-9a-fA-F]{40}$|^[a-z]{1,6}1[02-9ac-hj-np-z]{8,87}$|^[1-9A-HJ-NP-Za-km-z]{25,44}$|^r[1-9A-HJ-NP-Za-km-z]{24,34}$"
)
_COIN = re.compile(r"^[A-Za-z0-9]{2,12}$")
_NETWORK = re.compile(r"^[\w .()-]{2,40}$")
_ORDER_ID = re.compile(r"^[\w-]{4,64}$")
_MEMO = re.compile(r"^[\w -]{1,100}$")


class FieldError(ValueError):
    pass


@dataclass(frozen=True)
class DetailField:
    name: str
    label: str | Promise
    required: bool = True
    pattern: re.Pattern[str] | None = None
    kind: str = "text"  # text, amount or utc_time
    help_text: str | Promise = ""
    invalid: str | Promise = ""

    def clean(self, raw: str) -> str:
        value = raw.strip()
        if not value:
            if self.required:
                raise FieldError(_("This field is required."))
            return ""
        if self.kind == "amount":
            return _clean_amount(value)
        if self.kind == "utc_time":
            return _clean_utc_time(value)
        if self.pattern is not None and not self.pattern.match(value):
            raise FieldError(self.invalid or _("This value does not look right."))
        return value


@dataclass(frozen=True)
class Category:
    slug: str
    name: str | Promise
    # The help-center category whose articles are suggested while the customer describes the problem.
    help_category: str = ""
    fields: tuple[DetailField, ...] = field(default_factory=tuple)


def _clean_amount(value: str) -> str:
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation as error:
        raise FieldError(_("Enter the amount as a number, for example 0.25.")) from error
    if not amount.is_finite() or amount <= 0:
        raise FieldError(_("The amount must be greater than zero."))
    return format(amount.normalize(), "f")


def _clean_utc_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("T", " ").removesuffix("Z").strip())
    except ValueError as error:
        raise FieldError(_("Enter the time in UTC as YYYY-MM-DD HH:MM.")) from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment > datetime.now(UTC).replace(tzinfo=None):
        raise FieldError(_("This time is in the future."))
    return moment.strftime("%Y-%m-%d %H:%M")


_COIN_FIELD = DetailField(
    "coin",
    _("Coin"),
    pattern=_COIN,
    help_text=_("The ticker, for example BTC or USDT."),
    invalid=_("Enter the coin's ticker, for example BTC or USDT."),
)
_TXID_INVALID = _("A transaction id is 64 hexadecimal characters (0x first on EVM networks).")

CATEGORIES: dict[str, Category] = {
    category.slug: category
    for category in (
        Category(
            "deposit",
            _("Deposit not credited"),
            "deposits-withdrawals",
            (
                _COIN_FIELD,
                DetailField(
                    "network",
                    _("Network"),
                    pattern=_NETWORK,
                    help_text=_("The network you sent on, for example ERC20, TRC20 or Bitcoin."),
                    invalid=_("Enter the network's name, for example ERC20."),
                ),
                DetailField("txid", _("Transaction id (TxID)"), pattern=_TXID, invalid=_TXID_INVALID),
                DetailField(
                    "address",
                    _("Destination address"),
                    pattern=_ADDRESS,
                    help_text=_("Your deposit address on our exchange."),
                    invalid=_("This does not look like a wallet address."),
                ),
                DetailField(
                    "memo",
                    _("Memo / tag"),
                    required=False,
                    pattern=_MEMO,
                    help_text=_("Only for coins that use one (XRP, XLM, EOS, TON ...)."),
                    invalid=_("A memo or tag is letters and digits."),
                ),
                DetailField("amount", _("Amount"), kind="amount"),
            ),
        ),
        Category(
            "withdrawal",
            _("Withdrawal"),
            "deposits-withdrawals",
            (
                DetailField(
                    "withdrawal_id",
                    _("Withdrawal id"),
                    pattern=_ORDER_ID,
                    help_text=_("Shown in your withdrawal history."),
                    invalid=_("A withdrawal id is letters, digits and dashes."),
                ),
                DetailField(
                    "txid", _("Transaction id (TxID)"), required=False, pattern=_TXID, invalid=_TXID_INVALID
                ),
            ),
        ),
        Category("account", _("Account and verification (KYC)"), "kyc"),
        Category("security", _("2FA and security"), "account-security"),
        Category(
            "trading",
            _("Spot trading"),
            "spot-trading",
            (
                DetailField(
                    "order_id",
                    _("Order id"),
                    required=False,
                    pattern=_ORDER_ID,
                    invalid=_("An order id is letters, digits and dashes."),
                ),
            ),
        ),
        Category(
            "futures",
            _("Futures and liquidation"),
            "futures-margin",
            (
                DetailField(
                    "order_id",
                    _("Order id"),
                    pattern=_ORDER_ID,
                    invalid=_("An order id is letters, digits and dashes."),
                ),
                DetailField(
                    "time_utc",
                    _("Time of the event (UTC)"),
                    kind="utc_time",
                    help_text=_("YYYY-MM-DD HH:MM, in UTC."),
                ),
            ),
        ),
        Category(
            "p2p",
            _("P2P dispute"),
            "fiat-p2p",
            (
                DetailField(
                    "order_number",
                    _("P2P order number"),
                    pattern=_ORDER_ID,
                    invalid=_("An order number is letters, digits and dashes."),
                ),
            ),
        ),
        Category("api", _("API"), "api"),
        Category("fees", _("Fees"), "fees"),
        Category("other", _("Something else")),
    )
}


def clean_details(category: str, values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The category's details, cleaned, and the errors by field name (empty when all is well).

    Keys the category does not ask for are dropped rather than stored.
    """
    definition = CATEGORIES.get(category)
    if definition is None:
        return {}, {"category": str(_("Choose a category from the list."))}
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for detail in definition.fields:
        try:
            value = detail.clean(str(values.get(detail.name, "")))
        except FieldError as error:
            errors[detail.name] = str(error)
            continue
        if value:
            cleaned[detail.name] = value
    return cleaned, errors


def labelled_details(category: str, values: Mapping[str, str]) -> list[tuple[str, str]]:
    """A ticket's details as (label, value) pairs, in the category's order."""
    definition = CATEGORIES.get(category)
    if definition is None:
        return []
    return [
        (str(detail.label), values[detail.name]) for detail in definition.fields if values.get(detail.name)
    ]
