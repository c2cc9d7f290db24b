"""Webhook deliveries are counted by outcome and each send is a `webhook.deliver` span."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.observability.test_metrics import scrape, value
from tests.observability.test_tracing import named
from tests.webhooks.conftest import api, dispatcher_for, drain, hooks_app, org, receiver, register

__all__ = ["api", "hooks_app", "org", "receiver"]  # fixtures shared with tests/webhooks


async def test_webhook_deliveries_are_counted_by_outcome_with_a_span_each(
    hooks_app: RunningApp,
    api: httpx.AsyncClient,
    org: Org,
    receiver: WebhookReceiver,
    spans: InMemorySpanExporter,
) -> None:
    await register(api, org, receiver.url)
    response = await api.post("/api/call/start", json={"channel": "browser"}, headers=org.headers)
    call_id = response.json()["call_id"]
    await api.post("/api/call/end", json={"call_id": call_id}, headers=org.headers)
    answers = iter([(503, {}, 0.0)])  # the first attempt fails, the retry gets through
    receiver.responder = lambda _: next(answers, (200, {}, 0.0))
    await drain(dispatcher_for(hooks_app))

    assert len(receiver.received) == 2
    text = await scrape(api)
    assert value(text, "callintake_webhook_deliveries_total", outcome="delivered") == 1
    assert value(text, "callintake_webhook_deliveries_total", outcome="retrying") == 1
    assert len(named(spans, "webhook.deliver")) == 2
