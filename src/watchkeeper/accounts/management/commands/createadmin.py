from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from watchkeeper.accounts.actions import create_user_with_role, mark_email_verified
from watchkeeper.accounts.models import User
from watchkeeper.accounts.roles import Role


class Command(BaseCommand):
    help = "Create an administrator. The password comes from WATCHKEEPER_ADMIN_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the email {email} exists already.")
        password = os.environ.get("WATCHKEEPER_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user = create_user_with_role(email, password, Role.ADMIN, display_name=name)
        mark_email_verified(user)
        self.stdout.write(
            self.style.SUCCESS(f"Administrator {email} created. Enrol a second factor at the first log-in.")
        )
