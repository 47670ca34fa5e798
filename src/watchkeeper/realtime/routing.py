from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application
from django.urls import path

from watchkeeper.chat.consumers import ChatConsumer
from watchkeeper.realtime.consumers import RealtimeConsumer

# /ws/chat/ is /ws/ plus the chat commands (chat.consumers says why it is a subclass at its own path).
websocket_urlpatterns = [
    path("ws/", RealtimeConsumer.as_asgi()),
    path("ws/chat/", ChatConsumer.as_asgi()),
]


def websocket_application() -> Any:
    """Session-authenticated sockets, refused unless the Origin is one of ALLOWED_HOSTS (no CSWSH)."""
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))


def build_application() -> ProtocolTypeRouter:
    return ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application()})
