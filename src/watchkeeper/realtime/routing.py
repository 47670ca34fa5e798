from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application
from django.urls import path

from watchkeeper.realtime.consumers import RealtimeConsumer

websocket_urlpatterns = [path("ws/", RealtimeConsumer.as_asgi())]


def websocket_application() -> Any:
    """Session-authenticated sockets, refused unless the Origin is one of ALLOWED_HOSTS (no CSWSH)."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


def build_application() -> ProtocolTypeRouter:
    return ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
