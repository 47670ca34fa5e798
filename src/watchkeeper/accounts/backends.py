"""Authentication backend: Django's ModelBackend, with a person's permissions read together with their
roles and second factor (accounts.queries.access_of)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from watchkeeper.accounts.queries import access_of


class PermissionBackend(ModelBackend):
    """Every console page checks permissions, and ModelBackend reads a user's own permissions and their
    groups' (roles') in two queries; access_of reads both with the roles and the second factor in one.
    Everything else is ModelBackend's, including the per-request cache on the user object."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                user_obj._perm_cache = {
                    f"{app_label}.{codename}"
                    for app_label, codename in Permission.objects.values_list(
                        "content_type__app_label", "codename"
                    )
                }
            else:
                user_obj._perm_cache = set(access_of(user_obj).permissions)
        return user_obj._perm_cache
