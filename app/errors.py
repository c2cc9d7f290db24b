"""The one error base class and the handler that renders every error in one shape.

    Exception
    └── AppError(message, status_code, code, details)      -> {"error": {code, message, details}}
        ├── NotFound (404)  ── orgs.errors.OrgNotFound, calls.errors.CallNotFound, ...
        ├── Conflict (409)  ── orgs.errors.PhoneNumberTaken, calls.errors.CallAlreadyEnded, ...
        ├── Unauthorized (401), Forbidden (403), ValidationFailed (422)
        ├── ServiceUnavailable (503) ── AdminNotConfigured, PersistenceUnavailable, DatabaseUnavailable
        └── UpstreamError(retryable)   ── realtime.errors: UpstreamAuthFailed (502),
                                          UpstreamRejected (502), UpstreamTimeout (504),
                                          UpstreamUnavailable (502)

Request validation errors (FastAPI/pydantic) are rendered in the same shape with code
`validation_error` and one detail per bad field. Anything else is a bug: 500 `internal_error`,
logged with its type only.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
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


def is_database_outage(exc: BaseException) -> bool:
    """Connection-level failures mean 'try later'; data or SQL errors are bugs and must surface."""
    if isinstance(exc, (IntegrityError, DataError, ProgrammingError)):
        return False
    if isinstance(exc, DBAPIError):
        return True
    return isinstance(exc, (OSError, TimeoutError, ConnectionError))


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
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
        if is_database_outage(exc):
            log.warning("database_unavailable", extra={"error_type": type(exc).__name__})
            outage = DatabaseUnavailable()
            return JSONResponse(error_body(outage.code, outage.message), status_code=outage.status_code)
        log.error("unhandled_error", extra={"error_type": type(exc).__name__})
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)
