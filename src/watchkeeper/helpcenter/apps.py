from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpCenterConfig(AppConfig):
    name = "watchkeeper.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        from watchkeeper.core.registry import NavItem, registry
        from watchkeeper.helpcenter import demo

        registry.add_demo_loader("helpcenter", demo.load_demo_content)
        registry.add_console_nav(
            NavItem(
                _("Help-center articles"), "editor:articles", order=40, permission="helpcenter.write_articles"
            )
        )
        registry.add_console_nav(
            NavItem(_("Review queue"), "editor:review", order=41, permission="helpcenter.review_articles")
        )
        registry.add_console_nav(
            NavItem(_("Content gaps"), "editor:gaps", order=42, permission="helpcenter.write_articles")
        )
