from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from watchkeeper.accounts import views as account_views
from watchkeeper.api.api import api
from watchkeeper.chat import views as chat_views
from watchkeeper.core import views as core_views

admin.site.site_header = "Watchkeeper"
admin.site.site_title = "Watchkeeper admin"

urlpatterns = [
    # The bare root serves the home page in the visitor's language (cookie, account or browser), so
    # `GET /` answers at once; every link on it points into the language-prefixed site.
    path("", core_views.home, name="root"),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    *([re_path(r"^media/(?P<path>.+)$", core_views.media, name="media")] if settings.SERVE_MEDIA else []),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    # Outside the language prefix: the exchange's pages include one address whatever their language.
    path("chat/widget.js", chat_views.widget_script, name="chat_widget"),
]

urlpatterns += i18n_patterns(
    path("", core_views.home, name="home"),
    path("help/chat/", include("watchkeeper.chat.urls")),
    path("help/", include("watchkeeper.helpcenter.urls")),
    path("tickets/", include("watchkeeper.tickets.urls")),
    path("console/", include(("watchkeeper.accounts.console_urls", "console"))),
    path("console/chats/", include("watchkeeper.chat.console_urls")),
    path("console/help/", include("watchkeeper.helpcenter.editor_urls")),
    path("console/tickets/", include("watchkeeper.tickets.console_urls")),
    path("console/mail/held/", include("watchkeeper.mail.console_urls")),
    path("console/webhooks/", include("watchkeeper.webhooks.console_urls")),
    path("console/audit/", include("watchkeeper.core.console_urls")),
    path("account/", include("watchkeeper.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)

handler403 = "watchkeeper.core.views.permission_denied"
handler404 = "watchkeeper.core.views.page_not_found"
handler500 = "watchkeeper.core.views.server_error"
