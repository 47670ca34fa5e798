"""Test helpers to make users in each role and to compute TOTP codes independently of allauth."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from watchkeeper.accounts.actions import create_user_with_role, mark_email_verified
from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role

PASSWORD = "correct-horse-battery-9"


def make_user(role: Role = Role.CUSTOMER, email: str | None = None, **fields: object) -> User:
    email = email or f"{role.value}-{User.objects.count() + 1}@example.test"
    user = create_user_with_role(email, PASSWORD, role, **fields)
    mark_email_verified(user)
    return user


def enrol_totp(user: User) -> User:
    """Give a staff user the second factor the console and the editor API insist on."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    return user


def totp_code(secret_base32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1), written out here so the test does not trust the code under test."""
    counter = int((time.time() if at is None else at) // step)
    key = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)
