from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from watchkeeper.accounts import actions
from watchkeeper.accounts.models import AgentProfile, CustomerProfile, Language, Skill, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "preferred_language", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups", "preferred_language"]
    search_fields = ["email", "display_name", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {"fields": ("display_name", "first_name", "last_name", "preferred_language", "time_zone")},
        ),
        (_("Roles and permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm[User], change: bool) -> None:
        # Roles are groups and the superuser flag; both change here, the groups only in save_related.
        form.roles_before = actions.role_names(User.objects.get(pk=obj.pk)) if change else []  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm[User], formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        actions.record_role_change(user, form.roles_before, actor=request.user, request=request)  # type: ignore[attr-defined]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone"]
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ["skills", "languages"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "presence", "max_concurrent_chats", "last_seen_at"]
    list_filter = ["presence", "teams"]
    list_select_related = ["user"]
    filter_horizontal = ["languages", "skills", "teams"]
    search_fields = ["user__email", "user__display_name"]


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "exchange_account_id", "vip_tier", "kyc_level", "account_manager"]
    list_filter = ["vip_tier", "kyc_level"]
    list_select_related = ["user", "account_manager"]
    search_fields = ["user__email", "exchange_account_id"]
    raw_id_fields = ["user", "account_manager"]


admin.site.register(Skill)
admin.site.register(Language)
