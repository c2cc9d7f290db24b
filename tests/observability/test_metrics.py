"""GET /metrics: Prometheus text with the call series, the bearer token, the off switch, closed labels."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app import metrics
from app.calls.slots import acquire_slot
from app.settings import MetricsSettings
from tests.conftest import RunningApp
from tests.observability.conftest import CALLER_NAME, CALLER_NUMBER, org_headers, start_and_end

EXPECTED = {
    "callintake_calls_live",
    "callintake_calls_started",
    "callintake_calls_ended",
    "callintake_escalations",
    "callintake_detection_seconds",
    "callintake_relay_frame_latency_seconds",
    "callintake_first_agent_audio_seconds",
    "callintake_upstream_errors",
    "callintake_mint_seconds",
    "callintake_finalize_seconds",
    "callintake_finalize_failures",
    "callintake_finalize_deferred",
    "callintake_finalize_dead_lettered",
    "callintake_sweeper_passes",
    "callintake_webhook_deliveries",
    "callintake_concurrency_overflows",
}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def scrape(client: httpx.AsyncClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_count_a_call_started_escalated_and_ended_through_the_api(running: RunningApp) -> None:
    _, headers = await org_headers(running.client)
    await start_and_end(running.client, headers)
    text = await scrape(running.client)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert names >= EXPECTED
    assert value(text, "callintake_calls_started_total", channel="browser") == 1
    assert value(text, "callintake_calls_ended_total", channel="browser", status="completed") == 1
    assert value(text, "callintake_calls_live", channel="browser") == 0
    assert value(text, "callintake_escalations_total", source="detection", category="emergency") == 1
    assert value(text, "callintake_finalize_seconds_count") == 1
    assert value(text, "callintake_detection_seconds_count") == 1


async def test_metrics_live_gauge_counts_a_call_until_it_ends(running: RunningApp) -> None:
    _, headers = await org_headers(running.client)
    response = await running.client.post("/api/call/start", json={"channel": "browser"}, headers=headers)
    assert response.status_code == 201
    assert value(await scrape(running.client), "callintake_calls_live", channel="browser") == 1


async def test_metrics_count_a_slot_refused_by_the_org_cap_as_an_overflow(running: RunningApp) -> None:
    # acquire_slot is where every channel asks for a slot (REST and phone starts are being wired to it).
    org_id = str(uuid.uuid4())
    first = await acquire_slot(running.state, org_id=org_id, call_id=uuid.uuid4(), max_concurrent_calls=1)
    second = await acquire_slot(running.state, org_id=org_id, call_id=uuid.uuid4(), max_concurrent_calls=1)
    assert (first.granted, second.granted) == (True, False)
    text = await scrape(running.client)
    assert value(text, "callintake_concurrency_overflows_total", scope="org") == 1
    assert org_id not in text


async def test_metrics_refuse_a_missing_or_wrong_bearer_token(app_with: Any) -> None:
    settings = MetricsSettings(bearer_token=SecretStr("scrape-token-0123456789"))
    async with app_with(metrics=settings) as app:
        assert (await app.client.get("/metrics")).status_code == 401
        wrong = await app.client.get("/metrics", headers={"Authorization": "Bearer scrape-token-x"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert wrong.json()["error"]["code"] == "unauthorized"
        await scrape(app.client, Authorization="Bearer scrape-token-0123456789")


async def test_metrics_off_answers_404_and_records_nothing(app_with: Any) -> None:
    async with app_with(metrics=MetricsSettings(enabled=False)) as app:
        _, headers = await org_headers(app.client)
        await start_and_end(app.client, headers)
        response = await app.client.get("/metrics")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert metrics.current() is None


async def test_metrics_labels_carry_no_caller_data_or_ids(running: RunningApp) -> None:
    org_id, headers = await org_headers(running.client)
    call_id = await start_and_end(running.client, headers, metadata={"customer": "acct-991"})
    text = await scrape(running.client)
    for secret in (CALLER_NUMBER, CALLER_NUMBER[2:], CALLER_NAME, org_id, call_id, "acct-991", "ambulance"):
        assert secret not in text
    labels = {key for (_, pairs) in samples(text) for key, _ in pairs}
    assert labels <= {
        "channel",
        "status",
        "source",
        "category",
        "direction",
        "vendor",
        "kind",
        "outcome",
        "scope",
        "le",
    }


async def test_metrics_org_labels_setting_adds_the_org_id(app_with: Any) -> None:
    async with app_with(metrics=MetricsSettings(org_labels=True)) as app:
        org_id, headers = await org_headers(app.client)
        await start_and_end(app.client, headers)
        text = await scrape(app.client)
        assert value(text, "callintake_calls_started_total", channel="browser", org=org_id) == 1
        assert CALLER_NUMBER not in text


def test_metrics_unknown_label_values_are_recorded_as_other() -> None:
    registry = metrics.configure(MetricsSettings())
    assert registry is not None
    metrics.upstream_error("+15557654321", "Traceback: secret")
    metrics.call_started("fax")
    text = registry.render().decode()
    assert value(text, "callintake_upstream_errors_total", vendor="other", kind="other") == 1
    assert value(text, "callintake_calls_started_total", channel="other") == 1
    assert "15557654321" not in text
