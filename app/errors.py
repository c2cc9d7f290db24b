"""The one error base class and the handler that renders every error in one shape.

    Exception
    └── AppError(message, status_code, code, details)      -> {"error": {code, message, details}}
        ├── NotFound (404)  ── orgs.errors.OrgNotFound, calls.errors.CallNotFound, ...
        ├── Conflict (409)  ── orgs.errors.PhoneNumberTaken, calls.errors.CallAlreadyEnded, ...
        ├── Unauthorized (401), Forbidden (403), ValidationFailed (422)
        ├── ServiceUnavailable (503) ── AdminNotConfigured, DatabaseUnavailable, LiveStoreUnavailable,
        │                               calls.errors.EndDeferred (PersistenceUnavailable, FinalizeInProgress)
        └── UpstreamError(retryable)   ── realtime.errors: UpstreamAuthFailed (502),
                                          UpstreamRejected (502), UpstreamTimeout (504),
                                          UpstreamUnavailable (502)

Request validation errors (FastAPI/pydantic) are rendered in the same shape with code
`validation_error` and one detail per bad field. Only connection failures and time-outs are outages:
PostgreSQL's become 503 `database_unavailable` (`is_database_outage`), Redis's 503
`live_store_unavailable` (`is_live_store_outage`). Anything else, a data or integrity error included,
is a bug: 500 `internal_error`, logged with its type only (never its values).
"""

from __future__ import annotations

import errno
import logging
import socket
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("callintake.errors")


class AppError(Exception):
    status_code: int = 500
    code: str = "internal_error"
    message: str = "internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message = "not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    message = "missing or invalid credentials"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message = "the credentials lack the required scope"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_error"
    message = "the request is invalid"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "service unavailable"


class UpstreamError(AppError):
    """A vendor call failed; `retryable` says whether trying again may help."""

    status_code = 502
    code = "upstream_error"
    message = "the upstream service failed"
    retryable = False


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    message = "the database is unreachable right now; retry shortly"


class LiveStoreUnavailable(ServiceUnavailable):
    code = "live_store_unavailable"
    message = "the live call store is unreachable right now; retry shortly"


# SQLSTATE classes that mean "the server is unreachable, overloaded or going away", not "your data is
# wrong": 08 connection, 53 insufficient resources, 57 operator intervention (57014 is statement_timeout),
# 58 system error, 40 transaction rollback (deadlock, serialization): all worth a retry.
_OUTAGE_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_OUTAGE_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)


def _is_network_failure(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        return True
    return isinstance(exc, OSError) and exc.errno in _OUTAGE_ERRNOS


def is_database_outage(exc: BaseException) -> bool:
    """Connection failures and time-outs mean 'try later'; data, integrity or SQL errors are bugs."""
    if isinstance(exc, (sa_errors.TimeoutError, sa_errors.DisconnectionError)):
        return True  # the pool timed out waiting for a connection, or one died under us
    if isinstance(exc, sa_errors.DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate:
            return sqlstate[:2] in _OUTAGE_SQLSTATE_CLASSES
        if isinstance(exc, (sa_errors.InterfaceError, sa_errors.OperationalError)):
            return True  # asyncpg's "connection is closed", SQLite's "database is locked"
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc.orig, BaseException) and (
            _is_network_failure(exc.orig) or (cause is not None and _is_network_failure(cause))
        )
    return _is_network_failure(exc)


def is_live_store_outage(exc: BaseException) -> bool:
    """Redis unreachable, timed out, loading or read-only (a failover): 'try later'. Script bugs are not."""
    return isinstance(
        exc,
        (
            redis_errors.ConnectionError,
            redis_errors.TimeoutError,
            redis_errors.BusyLoadingError,
            redis_errors.ReadOnlyError,
            redis_errors.MasterDownError,
            redis_errors.TryAgainError,
        ),
    )


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as [{field, message, type}], field a dotted path without the 'body' root."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        out.append({"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type", "")})
    return out


def path_uuid(value: str | uuid.UUID, not_found: type[NotFound]) -> uuid.UUID:
    """An id from a URL path; a malformed one is 'not found', the same answer as an unknown one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise not_found() from exc


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


_too_deep = {"field": "body", "message": "JSON nested too deeply", "type": "json_too_deep"}
_not_utf8 = {"field": "body", "message": "the body is not UTF-8", "type": "json_invalid"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("validation_error", "the request is invalid", validation_details(exc.errors())),
            status_code=422,
        )

    @app.exception_handler(ValidationError)
    async def _model_validation(_: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("validation_error", "the request is invalid", validation_details(exc.errors())),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError | UnicodeDecodeError):
            # FastAPI's JSON reader answers a bare 400 for these; say what was wrong, as for bad JSON.
            detail = _too_deep if isinstance(exc.__cause__, RecursionError) else _not_utf8
            return JSONResponse(
                error_body("validation_error", "the request is invalid", [detail]), status_code=422
            )
        code = {404: "route_not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
        outage: AppError | None = None
        if is_live_store_outage(exc):
            outage = LiveStoreUnavailable()
        elif is_database_outage(exc):
            outage = DatabaseUnavailable()
        if outage is not None:
            log.warning(outage.code, extra={"error_type": type(exc).__name__})
            return JSONResponse(error_body(outage.code, outage.message), status_code=outage.status_code)
        log.error("unhandled_error", extra={"error_type": type(exc).__name__})
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)
