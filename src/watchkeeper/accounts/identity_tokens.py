"""Who a chat-widget customer is, as the exchange's back end vouches for them: a JWT signed with a
secret shared with Watchkeeper (HS256), carrying the exchange's account id and an expiry.

Why a JWT: every back-end language the exchange may use has a maintained library that signs one in a
line (docs/chat-widget.md shows Python, Node and Go), and PyJWT checks it here. The checks are the
library's (signature in constant time, "exp" and "nbf" with a little clock leeway, the algorithm pinned
to HS256 so that a token naming "none" or another algorithm is refused) plus ours: "sub" is the account
id, and a token may not live longer than CHAT_IDENTITY_MAX_LIFETIME_SECONDS, so one that leaks is
not a standing key to the account.

Claims:
    sub        the customer's account id at the exchange (required)
    exp        expiry, seconds since the epoch (required)
    email      their verified email address (required the first time the account is seen)
    name       display name (optional)
    language   preferred language, one of LANGUAGES (optional)
    vip_tier   0-9 (optional; the exchange's tier is the truth)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

ALGORITHM = "HS256"
CLOCK_LEEWAY_SECONDS = 30
MAX_TOKEN_BYTES = 4096


class IdentityTokenError(ValueError):
    """The token does not prove who the customer is; the message says why, for the exchange's developers."""


@dataclass(frozen=True)
class ExchangeIdentity:
    account_id: str
    email: str
    name: str
    language: str
    vip_tier: int | None


def verify(token: str, *, now: float | None = None) -> ExchangeIdentity:
    secrets = settings.CHAT_IDENTITY_SECRETS
    if not secrets:
        raise IdentityTokenError(_("Signed customer identities are not set up on this site."))
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise IdentityTokenError(_("The identity token is missing or too long."))
    moment = time.time() if now is None else now
    claims: dict[str, object] | None = None
    expired = False
    for secret in secrets:  # several while a secret is rotated
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub"], "verify_iat": False},
                leeway=CLOCK_LEEWAY_SECONDS,
            )  # PyJWT checks "exp" against its own clock; `_identity` checks it against `now` too.
            break
        except jwt.ExpiredSignatureError:
            expired = True
        except jwt.InvalidSignatureError:
            continue
        except jwt.MissingRequiredClaimError as error:
            message = _("The identity token has no “%(claim)s”.") % {"claim": error.claim}
            raise IdentityTokenError(message) from None
        except jwt.InvalidTokenError:
            raise IdentityTokenError(_("The identity token is not a valid HS256 JWT.")) from None
    if claims is None:
        if expired:
            raise IdentityTokenError(_("The identity token has expired."))
        raise IdentityTokenError(_("The identity token's signature is not valid."))
    return _identity(claims, moment)


def _identity(claims: dict[str, object], moment: float) -> ExchangeIdentity:
    expiry = claims["exp"]
    if not isinstance(expiry, int | float) or expiry + CLOCK_LEEWAY_SECONDS < moment:
        raise IdentityTokenError(_("The identity token has expired."))
    if expiry - moment > settings.CHAT_IDENTITY_MAX_LIFETIME_SECONDS:
        raise IdentityTokenError(
            _("The identity token lives too long: at most %(seconds)s seconds.")
            % {"seconds": settings.CHAT_IDENTITY_MAX_LIFETIME_SECONDS}
        )
    account_id = claims["sub"]
    if not isinstance(account_id, str | int) or not str(account_id).strip() or len(str(account_id)) > 64:
        raise IdentityTokenError(_("“sub” must be the exchange's account id, at most 64 characters."))
    email = claims.get("email") or ""
    if not isinstance(email, str):
        raise IdentityTokenError(_("“email” must be a string."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise IdentityTokenError(_("“email” is not a valid email address.")) from None
    name = claims.get("name") or ""
    language = claims.get("language") or ""
    tier = claims.get("vip_tier")
    if tier is not None and (not isinstance(tier, int) or isinstance(tier, bool) or not 0 <= tier <= 9):
        raise IdentityTokenError(_("“vip_tier” must be a whole number from 0 to 9."))
    return ExchangeIdentity(
        account_id=str(account_id).strip(),
        email=email.strip().lower(),
        name=name[:150] if isinstance(name, str) else "",
        language=language if isinstance(language, str) and language in dict(settings.LANGUAGES) else "",
        vip_tier=tier,
    )
