"""How every admin route answers an error: JSON ``{"detail": "..."}``, with 503
while the job store cannot be reached, whatever the route.

    router = APIRouter(prefix="/jobs", route_class=AdminRoute)

    @router.get("/queues")
    async def queues(manager=Depends(get_job_manager)):
        names = value_of(await manager.get_queue_names())   # failed Result -> HTTPException

- ``value_of(result)``: the value of a successful ``Result``; for a failed one,
  ``HTTPException`` with the Result's message as ``detail`` and the status its
  ``code`` maps to (``STATUS_BY_CODE``; 503 for a store that cannot be read,
  500 otherwise).
- ``AdminRoute``: a route class whose handlers answer an exception they raise
  the same way — ``StorageUnavailableError`` 503, any other error 500 (logged
  on ``uno.jobs.admin``) — instead of a bare ``Internal Server Error``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from uno.jobs.errors import StorageUnavailableError
from uno.jobs.result import Result

T = TypeVar("T")
logger = logging.getLogger("uno.jobs.admin")

UNAVAILABLE = 503
STATUS_BY_CODE = {"unavailable": UNAVAILABLE, "unknown_task": 404, "invalid": 422,
                  "duplicate": 409}


def error_response(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code)


def value_of(result: Result[T], default_status: int = 500) -> T:
    """The value of a successful ``result``; ``HTTPException`` for a failed one
    (the status its code maps to, else ``default_status``)."""
    if result.is_failure:
        status = STATUS_BY_CODE.get(result.code or "", default_status)
        raise HTTPException(status_code=status, detail=result.error)
    return result.value  # type: ignore[return-value]


class AdminRoute(APIRoute):
    """Answers what its handler raises as a JSON ``detail`` (see the module doc)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Any:
            try:
                return await handle(request)
            except (StarletteHTTPException, RequestValidationError):
                raise  # FastAPI answers these as JSON already
            except StorageUnavailableError as exc:
                return error_response(UNAVAILABLE, str(exc))
            except Exception as exc:
                logger.exception("admin route %s failed", request.url.path)
                return error_response(500, f"{type(exc).__name__}: {exc}")

        return answer


__all__ = ["STATUS_BY_CODE", "AdminRoute", "error_response", "value_of"]
