"""ASGI entry point: HTTP through Django, WebSockets under /ws/ through Channels."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "watchkeeper.settings")
django.setup()

from watchkeeper.core.startup import refuse_insecure_start  # noqa: E402
from watchkeeper.realtime.routing import build_application  # noqa: E402

refuse_insecure_start()
application = build_application()
