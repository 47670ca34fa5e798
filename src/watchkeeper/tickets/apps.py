from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "watchkeeper.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.realtime.groups import GroupKind, register_group_kind
        from watchkeeper.tickets import demo, queries

        registry.add_console_nav(
            NavItem(_("Tickets"), "inbox:list", order=20, permission=queries.WORK_PERMISSION)
        )
        registry.add_demo_loader("tickets", demo.load_demo_tickets)
        register_group_kind(GroupKind("ticket", queries.may_follow_ticket, queries.missed_ticket_events))
        register_group_kind(
            GroupKind("ticket-staff", queries.may_watch_ticket_as_staff, activity=queries.staff_activity)
        )
