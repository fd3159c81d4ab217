"""The console's settings and the request guards every admin route shares.

    settings = ConsoleSettings.create(actions=True, trace_url=None)   # env: UNO_JOBS_TRACE_URL
    router = APIRouter(dependencies=[Depends(settings.install)])      # what make_router does
    def route(settings: Annotated[ConsoleSettings, Depends(get_console_settings)]): ...

``require_same_origin`` guards the mutating routes: a browser sends ``Origin``
(or at least ``Referer``) with every POST, so a form or script on another site
that posts to the console is refused (403). Clients that send neither (curl,
scripts) pass; the app's own auth (``dependencies=``) still applies to them.
Behind a reverse proxy, forward the original ``Host`` (or ``X-Forwarded-Host``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

TRACE_URL_ENV = "UNO_JOBS_TRACE_URL"
_STATE_KEY = "uno_jobs_console"
_log = logging.getLogger("uno.jobs.admin")


@dataclass(frozen=True)
class ConsoleSettings:
    actions: bool = False
    trace_url: str | None = None

    @classmethod
    def create(cls, actions: bool = False, trace_url: str | None = None) -> ConsoleSettings:
        """``trace_url`` must hold ``{trace_id}`` (``ValueError``); without it the
        ``UNO_JOBS_TRACE_URL`` environment variable (a bad one is ignored, with a warning)."""
        if trace_url is not None and "{trace_id}" not in trace_url:
            raise ValueError(f"trace_url must contain {{trace_id}}, got {trace_url!r}")
        if trace_url is None:
            trace_url = os.environ.get(TRACE_URL_ENV, "").strip() or None
            if trace_url is not None and "{trace_id}" not in trace_url:
                _log.warning("ignoring %s=%r: it must contain {trace_id}", TRACE_URL_ENV, trace_url)
                trace_url = None
        return cls(actions=bool(actions), trace_url=trace_url)

    def install(self, request: Request) -> None:
        """A router dependency: these settings are what the request's routes see."""
        setattr(request.state, _STATE_KEY, self)


def get_console_settings(request: Request) -> ConsoleSettings:
    found = getattr(request.state, _STATE_KEY, None)
    return found if isinstance(found, ConsoleSettings) else ConsoleSettings.create()


def require_same_origin(request: Request) -> None:
    """403 when a browser says the request comes from another site."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        raise HTTPException(status_code=403, detail="cross-site request refused")
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    # behind a proxy that rewrites Host, X-Forwarded-Host names the site (a
    # cross-site form cannot set either header)
    hosts = {request.headers.get(name, "").lower() for name in ("host", "x-forwarded-host")}
    if source == "null" or urlsplit(source).netloc.lower() not in hosts - {""}:
        raise HTTPException(status_code=403,
                            detail=f"cross-origin request refused (from {source!r})")


__all__ = ["TRACE_URL_ENV", "ConsoleSettings", "get_console_settings", "require_same_origin"]
