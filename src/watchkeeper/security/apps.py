from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "watchkeeper.security"
    label = "security"
    verbose_name = _("Security")
