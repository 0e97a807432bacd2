"""The ASGI application of `chaingate serve`: the API (api.py) and the dashboard
(dashboard.py), under the request-body limit."""

from __future__ import annotations

from chaingate.service.api import ASGIApp, BodyLimit, create_app
from chaingate.service.runtime import Runtime


def create(rt: Runtime, background: bool = True) -> ASGIApp:
    app = create_app(rt, background)
    from chaingate.service.dashboard import mount

    mount(app, rt)
    return BodyLimit(app, rt.settings.max_upload_bytes)
