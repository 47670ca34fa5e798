"""The demo ledger: a stand-in for the exchange's back office when no WATCHKEEPER_EXCHANGE_URL is set.

Kept in the database, not in memory, so a freeze made in one request or process is seen by all others,
as it would be at a real exchange. Nothing here is used when a real exchange is connected.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from watchkeeper.exchange.adapter import (
    Account,
    AccountStatus,
    Direction,
    NetworkStatus,
    Transfer,
    TransferState,
    mask_address,
    plain_amount,
)


class DemoAccount(models.Model):
    uid = models.CharField(_("exchange account id"), max_length=64, unique=True)
    kyc_level = models.PositiveSmallIntegerField(_("KYC level"), default=0)
    vip_tier = models.PositiveSmallIntegerField(_("VIP tier"), default=0)
    # A limit the exchange imposed; a freeze by support comes on top and is lifted without touching it.
    restricted = models.BooleanField(_("restricted by the exchange"), default=False)
    # Base32, as authenticator apps take it; empty means the account has no second factor.
    totp_secret = models.CharField(_("TOTP secret"), max_length=64, blank=True)
    # The last TOTP time step accepted, so that a code seen once (say, pasted in a chat) is spent.
    totp_last_step = models.BigIntegerField(default=0)
    registered_at = models.DateTimeField(_("registered"))
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_reason = models.CharField(_("freeze reason"), max_length=500, blank=True)
    frozen_by = models.CharField(_("frozen by"), max_length=200, blank=True)
    unfrozen_by = models.CharField(_("unfrozen by"), max_length=200, blank=True)
    unfreeze_verification = models.CharField(_("unfreeze verification"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("demo exchange account")
        verbose_name_plural = _("demo exchange accounts")
        ordering = ["uid"]

    def __str__(self) -> str:
        return self.uid

    def as_account(self) -> Account:
        if self.frozen_at is not None:
            status = AccountStatus.FROZEN
        elif self.restricted:
            status = AccountStatus.RESTRICTED
        else:
            status = AccountStatus.ACTIVE
        return Account(
            uid=self.uid,
            kyc_level=self.kyc_level,
            vip_tier=self.vip_tier,
            status=status,
            two_factor_enabled=bool(self.totp_secret),
            registered_at=self.registered_at,
        )


class DemoTransfer(models.Model):
    account = models.ForeignKey(DemoAccount, on_delete=models.CASCADE, related_name="transfers")
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    direction = models.CharField(_("direction"), max_length=12, choices=Direction.choices)
    coin = models.CharField(_("coin"), max_length=12)
    chain = models.CharField(_("network"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=38, decimal_places=18)
    state = models.CharField(_("state"), max_length=16, choices=TransferState.choices)
    address = models.CharField(_("address"), max_length=128, blank=True)
    txid = models.CharField(_("transaction id"), max_length=128, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    confirmations = models.PositiveIntegerField(_("confirmations"), null=True, blank=True)
    confirmations_required = models.PositiveIntegerField(_("confirmations required"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("demo transfer")
        verbose_name_plural = _("demo transfers")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "-created_at"], name="exchange_demotransfer_recent")]

    def __str__(self) -> str:
        return self.reference

    def as_transfer(self) -> Transfer:
        return Transfer(
            reference=self.reference,
            direction=Direction(self.direction),
            coin=self.coin,
            chain=self.chain,
            amount=plain_amount(self.amount),
            state=TransferState(self.state),
            created_at=self.created_at,
            address=mask_address(self.address),
            txid=self.txid,
            reason=self.reason,
            hold_until=self.hold_until,
            confirmations=self.confirmations,
            confirmations_required=self.confirmations_required,
        )


class DemoNetwork(models.Model):
    coin = models.CharField(_("coin"), max_length=12)
    chain = models.CharField(_("network"), max_length=40)
    deposits_enabled = models.BooleanField(_("deposits enabled"), default=True)
    withdrawals_enabled = models.BooleanField(_("withdrawals enabled"), default=True)
    congested = models.BooleanField(_("congested"), default=False)
    maintenance_until = models.DateTimeField(_("maintenance until"), null=True, blank=True)

    class Meta:
        verbose_name = _("demo network")
        verbose_name_plural = _("demo networks")
        ordering = ["coin", "chain"]
        constraints = [models.UniqueConstraint(fields=["coin", "chain"], name="exchange_demonetwork_unique")]

    def __str__(self) -> str:
        return f"{self.coin} ({self.chain})"

    def as_status(self) -> NetworkStatus:
        return NetworkStatus(
            coin=self.coin,
            chain=self.chain,
            deposits_enabled=self.deposits_enabled,
            withdrawals_enabled=self.withdrawals_enabled,
            congested=self.congested,
            maintenance_until=self.maintenance_until,
        )
