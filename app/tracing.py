"""OpenTelemetry traces, optional: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test installs one).

Spans: one per HTTP request (`TraceMiddleware`; WebSockets get none of their own, so never a span per
message), `traced` functions (minting, the SDP exchange, finalize, analysis, webhook dispatch), and one
`call` span per phone bridge or sideband whose events mark escalation and transfer. Attributes carry
ids, counts and closed labels only, never caller data. Off, every helper is a cheap no-op.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer, TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

log = logging.getLogger("callintake.tracing")

P = ParamSpec("P")
R = TypeVar("R")
AttrValue = str | bool | int | float

_NOOP: Tracer = trace.NoOpTracer()
_tracer: Tracer = _NOOP
_configured_endpoint: str | None = None
_call_span: ContextVar[Span | None] = ContextVar("call_span", default=None)


def enabled() -> bool:
    return _tracer is not _NOOP


def install(provider: TracerProvider | None) -> None:
    """Use this provider's tracer (None: off). The app's own is built by `configure`; tests pass an SDK
    provider with an in-memory exporter. The global OTel provider is left alone (it can be set once)."""
    global _tracer, _configured_endpoint
    _tracer = provider.get_tracer("callintake") if provider is not None else _NOOP
    _configured_endpoint = None


def configure(settings: Settings) -> TracerProvider | None:
    """Called by create_app: an OTLP/HTTP exporter when the endpoint is set, once per process (the SDK
    flushes it at exit). Returns the provider it installed, if it installed one."""
    global _configured_endpoint
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint or endpoint == _configured_endpoint:
        return None
    # Imported here: with tracing off the SDK and exporter are never loaded.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    # The variable names the base URL; the HTTP exporter wants the traces path itself.
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))
    )
    install(provider)
    _configured_endpoint = endpoint
    log.info("tracing_enabled", extra={"service": settings.otel_service_name})
    return provider


@contextlib.contextmanager
def span(name: str, **attributes: AttrValue | None) -> Iterator[Span | None]:
    if _tracer is _NOOP:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes=_clean(attributes)) as current:
        yield current


def traced(
    name: str, *copied: str
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """A span around an async function; each name in `copied` is a keyword argument (an id, never caller
    data) put on the span, `call_id` as `call.id`."""

    def wrap(func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(func)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if _tracer is _NOOP:
                return await func(*args, **kwargs)
            attributes = {kwarg.replace("_", "."): _attr(kwargs.get(kwarg)) for kwarg in copied}
            with _tracer.start_as_current_span(name, attributes=_clean(attributes)):
                return await func(*args, **kwargs)

        return run

    return wrap


@contextlib.contextmanager
def call_span(call_id: object, *, channel: str, org_id: object = None) -> Iterator[Span | None]:
    """The one span of a live call (bridge or sideband), current for its tasks; `call_event` adds to it."""
    if _tracer is _NOOP:
        yield None
        return
    attributes = _clean({"call.id": _attr(call_id), "call.channel": channel, "org.id": _attr(org_id)})
    with _tracer.start_as_current_span("call", kind=SpanKind.INTERNAL, attributes=attributes) as current:
        token = _call_span.set(current)
        try:
            yield current
        finally:
            _call_span.reset(token)


def call_event(name: str, **attributes: AttrValue | None) -> None:
    """An event (escalation, transfer) on the current call's span; nothing outside a call span."""
    current = _call_span.get()
    if current is not None:
        current.add_event(name, _clean(attributes))


def _attr(value: object) -> AttrValue | None:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _clean(attributes: dict[str, AttrValue | None]) -> dict[str, AttrValue]:
    return {key: value for key, value in attributes.items() if value is not None}


class TraceMiddleware:
    """A server span per HTTP request, named by route template, continuing an incoming traceparent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _tracer is _NOOP:
            await self.app(scope, receive, send)
            return
        carrier = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", ())}
        method = scope["method"]
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with _tracer.start_as_current_span(
            method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        ) as current:
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                route = str(getattr(scope.get("route"), "path", "unmatched"))
                current.update_name(f"{method} {route}")
                current.set_attribute("http.route", route)
                current.set_attribute("http.response.status_code", status)
                if status >= 500:
                    current.set_status(StatusCode.ERROR)
