"""Traces with the in-memory exporter: request and finalize spans, one call span per phone call with its
escalation and transfer events, no span per WebSocket message, no caller data in attributes."""

from __future__ import annotations

import asyncio
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import tracing
from tests.conftest import RunningApp, SettingsFactory
from tests.fakes.server import LoopbackServer
from tests.fakes.twilio import FRAME_BYTES
from tests.observability.conftest import CALLER_NAME, CALLER_NUMBER, org_headers, start_and_end
from tests.telephony.conftest import RigFactory, quick_behaviour


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def everything_said(exporter: InMemorySpanExporter) -> str:
    parts: list[str] = []
    for span in exporter.get_finished_spans():
        parts.append(span.name)
        parts.extend(f"{key}={value}" for key, value in (span.attributes or {}).items())
        for event in span.events:
            parts.append(event.name)
            parts.extend(f"{key}={value}" for key, value in (event.attributes or {}).items())
    return "\n".join(parts)


async def test_tracing_records_request_spans_and_a_finalize_span_inside_the_end_request(
    running: RunningApp, spans: InMemorySpanExporter
) -> None:
    _, headers = await org_headers(running.client)
    call_id = await start_and_end(running.client, headers)

    (start,) = named(spans, "POST /api/call/start")
    (end,) = named(spans, "POST /api/call/end")
    (finalize,) = named(spans, "call.finalize")
    assert start.attributes is not None and start.attributes["http.response.status_code"] == 201
    assert finalize.attributes is not None and finalize.attributes["call.id"] == call_id
    assert finalize.parent is not None and finalize.parent.span_id == end.context.span_id
    assert finalize.context.trace_id == end.context.trace_id
    said = everything_said(spans)
    for secret in (CALLER_NUMBER, CALLER_NAME, "ambulance", headers["Authorization"].split()[-1]):
        assert secret not in said


async def test_tracing_continues_an_incoming_traceparent(
    running: RunningApp, spans: InMemorySpanExporter
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await running.client.get(
        "/healthz", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    )
    assert response.status_code == 200
    (span,) = named(spans, "GET /healthz")
    assert format(span.context.trace_id, "032x") == trace_id


async def test_phone_call_has_one_call_span_with_escalation_and_transfer_events(
    rig_factory: RigFactory, spans: InMemorySpanExporter
) -> None:
    behaviour = quick_behaviour(respond_every_ms=100, caller_transcripts=["My jaw swelling is getting worse"])
    async with rig_factory(behaviour=behaviour) as rig:
        call = await rig.place_call()
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
        await call.stream.play(b"\x7f" * FRAME_BYTES * 50, realtime=False)
        await rig.rest.wait_for_update()
        await call.stream.wait_closed()
        await rig.stored(call.call_id)

    (call_span,) = named(spans, "call")
    attributes: dict[str, Any] = dict(call_span.attributes or {})
    assert attributes["call.id"] == call.call_id and attributes["call.channel"] == "phone"
    events = {event.name: dict(event.attributes or {}) for event in call_span.events}
    assert events["escalation"] == {"source": "detection", "category": "emergency"}
    assert events["transfer"]["outcome"] == "transferred"
    (finalize,) = named(spans, "call.finalize")
    assert finalize.parent is not None and finalize.parent.span_id == call_span.context.span_id
    # 50 caller frames and the agent's audio went through the bridge: no span for any of them.
    assert len(spans.get_finished_spans()) < 25
    assert not any("websocket" in span.name.lower() for span in spans.get_finished_spans())
    assert "jaw" not in everything_said(spans)


def test_tracing_stays_off_without_an_otlp_endpoint(make_settings: SettingsFactory) -> None:
    tracing.configure(make_settings(otel_exporter_otlp_endpoint=None))
    assert not tracing.enabled()
    with tracing.span("anything") as span:
        assert span is None


async def test_tracing_exports_over_otlp_http_when_the_endpoint_is_set(
    make_settings: SettingsFactory,
) -> None:
    posts: list[tuple[str, str]] = []

    async def collect(request: Request) -> Response:
        await request.body()
        posts.append((request.url.path, request.headers.get("content-type", "")))
        return Response(b"", status_code=200, media_type="application/x-protobuf")

    collector = LoopbackServer(Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])]))
    await collector.start()
    try:
        provider = tracing.configure(make_settings(otel_exporter_otlp_endpoint=collector.http_url + "/"))
        assert isinstance(provider, TracerProvider) and tracing.enabled()
        with tracing.span("probe", **{"call.id": "c-1"}):
            pass
        assert await asyncio.to_thread(provider.force_flush, 5000)
        provider.shutdown()
    finally:
        tracing.install(None)
        await collector.stop()
    assert posts == [("/v1/traces", "application/x-protobuf")]
