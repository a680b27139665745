"""ASGI entry point: daphne serves HTTP (Django) and WebSocket (Channels) from one process."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewprep.settings")

# Django must be set up before anything imports models (the routing's consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from audio.routing import websocket_urlpatterns  # noqa: E402
from interviewprep.body_limits import BodyLimitMiddleware, install_daphne_cap  # noqa: E402
from interviewprep.middleware import SameOriginWebSocketValidator  # noqa: E402

# Served by daphne: refuse oversized bodies while they arrive, before daphne queues them in memory.
install_daphne_cap()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": SameOriginWebSocketValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
