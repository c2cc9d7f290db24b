"""Prometheus metrics: every series callintake exports, the one-line recorders call sites use, GET /metrics.

Labels are low-cardinality and closed (unknown values become "other"); org ids only with
METRICS_ORG_LABELS, never caller data. With PROMETHEUS_MULTIPROC_DIR set before start-up (several
uvicorn workers) each worker writes its values to that directory and /metrics sums every worker's files.
The relay pumps bind their histogram child once per call (`relay_timer`), so a frame costs one observe.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import APIRouter, Header, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prom_multiprocess
from starlette.responses import Response

from app.errors import NotFound, Unauthorized
from app.settings import MetricsSettings

P = ParamSpec("P")
R = TypeVar("R")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
OTHER = "other"

# Closed label sets: a value outside them is recorded as "other", so no caller input mints a series.
CHANNELS = frozenset({"browser", "phone"})
STATUSES = frozenset({"completed", "abandoned", "failed", "finalize_failed"})
ESCALATION_SOURCES = frozenset({"detection", "tool", "client", "model", "forward"})
ESCALATION_CATEGORIES = frozenset({"emergency", "human_request", "urgent"})
VENDORS = frozenset({"openai", "twilio", "classifier", "analysis", "webhook"})
ERROR_KINDS = frozenset({"status", "timeout", "connection", "protocol", "refused", "closed", "error"})
WEBHOOK_OUTCOMES = frozenset({"delivered", "retrying", "failed", "dead"})
OVERFLOW_SCOPES = frozenset({"org", "platform"})
DIRECTIONS = ("inbound", "outbound")

# Milliseconds matter for the relay: 0.1 ms .. 250 ms. One frame in ten is timed (5 a second per direction
# of a call): the distribution stays the same and the relay's CPU does not see it.
RELAY_SAMPLE_EVERY = 10
RELAY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FIRST_AUDIO_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0)
DETECTION_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


def _closed(value: str | None, allowed: frozenset[str]) -> str:
    return value if value in allowed else OTHER


def closed_source(source: str | None) -> str:
    return _closed(source, ESCALATION_SOURCES)


def closed_category(category: str | None) -> str:
    return _closed(category, ESCALATION_CATEGORIES)


class Metrics:
    """One registry and its metrics; `org_labels` adds an `org` label to the call and escalation series."""

    def __init__(self, *, org_labels: bool = False) -> None:
        self.org_labels = org_labels
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        org = ("org",) if org_labels else ()
        self.calls_live = Gauge(
            "callintake_calls_live",
            "Calls started minus calls ended, by channel (summed over workers).",
            ["channel", *org],
            registry=r,
            multiprocess_mode="sum",  # a call can start on one worker and end on another
        )
        self.calls_started = Counter(
            "callintake_calls_started", "Calls started, by channel.", ["channel", *org], registry=r
        )
        self.calls_ended = Counter(
            "callintake_calls_ended",
            "Calls ended, by channel and final status.",
            ["channel", "status", *org],
            registry=r,
        )
        self.escalations = Counter(
            "callintake_escalations",
            "Escalations, by source and category.",
            ["source", "category", *org],
            registry=r,
        )
        self.detection = Histogram(
            "callintake_detection_seconds",
            "Time to decide on one batch of caller lines (local detection).",
            buckets=DETECTION_BUCKETS,
            registry=r,
        )
        self.relay_frame = Histogram(
            "callintake_relay_frame_latency_seconds",
            "Time one audio frame spends in the phone bridge, receipt to forward (one frame in ten).",
            ["direction"],
            buckets=RELAY_BUCKETS,
            registry=r,
        )
        self.first_agent_audio = Histogram(
            "callintake_first_agent_audio_seconds",
            "From a phone call's start to the first agent audio sent to the caller.",
            buckets=FIRST_AUDIO_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "callintake_upstream_errors",
            "Upstream failures, by vendor and kind.",
            ["vendor", "kind"],
            registry=r,
        )
        self.mint = Histogram(
            "callintake_mint_seconds",
            "Minting one Realtime client secret.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.finalize = Histogram(
            "callintake_finalize_seconds",
            "One finalize attempt (live state to PostgreSQL).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.finalize_failures = Counter(
            "callintake_finalize_failures", "Finalize attempts that failed (not outages).", registry=r
        )
        self.finalize_deferred = Counter(
            "callintake_finalize_deferred", "Finalizes deferred by a database outage.", registry=r
        )
        self.finalize_dead_lettered = Counter(
            "callintake_finalize_dead_lettered", "Calls dead-lettered after repeated failures.", registry=r
        )
        self.sweeper_passes = Counter("callintake_sweeper_passes", "Sweeper passes run.", registry=r)
        self.webhook_deliveries = Counter(
            "callintake_webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"], registry=r
        )
        self.concurrency_overflows = Counter(
            "callintake_concurrency_overflows",
            "Calls refused or overflowed by a concurrency cap.",
            ["scope"],
            registry=r,
        )
        for direction in DIRECTIONS:  # present from the start, so dashboards see zeros, not gaps
            self.relay_frame.labels(direction)

    def org(self, org_id: object) -> tuple[str, ...]:
        return (str(org_id or OTHER),) if self.org_labels else ()

    def render(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            prom_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


_current: Metrics | None = None


def configure(settings: MetricsSettings) -> Metrics | None:
    """Called by create_app: the metrics of this process (None when METRICS_ENABLED is off)."""
    global _current
    _current = Metrics(org_labels=settings.org_labels) if settings.enabled else None
    return _current


def current() -> Metrics | None:
    return _current


# -- recorders: one line at each call site; each is a no-op when metrics are off ----------------------


def call_started(channel: str | None, org_id: object = None) -> None:
    if (m := _current) is not None:
        labels = (_closed(channel, CHANNELS), *m.org(org_id))
        m.calls_started.labels(*labels).inc()
        m.calls_live.labels(*labels).inc()


def call_ended(channel: str | None, status: str | None, org_id: object = None) -> None:
    if (m := _current) is not None:
        chan, org = _closed(channel, CHANNELS), m.org(org_id)
        m.calls_ended.labels(chan, _closed(status, STATUSES), *org).inc()
        m.calls_live.labels(chan, *org).dec()


def escalation(source: str | None, category: str | None, org_id: object = None) -> None:
    if (m := _current) is not None:
        m.escalations.labels(
            _closed(source, ESCALATION_SOURCES), _closed(category, ESCALATION_CATEGORIES), *m.org(org_id)
        ).inc()


def detection_seconds(seconds: float) -> None:
    if (m := _current) is not None:
        m.detection.observe(seconds)


def upstream_error(vendor: str, kind: str) -> None:
    if (m := _current) is not None:
        m.upstream_errors.labels(_closed(vendor, VENDORS), _closed(kind, ERROR_KINDS)).inc()


def error_kind(text: str | None) -> str:
    """A vendor error's closed kind, from the free-form kinds modules log (`http_503`, `timeout` ...)."""
    text = (text or "").lower()
    if "timeout" in text:
        return "timeout"
    if "connect" in text or "unavailable" in text:
        return "connection"
    if text.startswith("http") or any(word in text for word in ("auth", "rejected", "rate_limited")):
        return "status"
    return "error"


def mint_seconds(seconds: float) -> None:
    if (m := _current) is not None:
        m.mint.observe(seconds)


def call_finalized(
    channel: str | None, status: str | None, org_id: object, *, seconds: float, inserted: bool
) -> None:
    """A finalize attempt that committed; only the one that inserted the call counts it as ended."""
    if (m := _current) is not None:
        m.finalize.observe(seconds)
        if inserted:
            call_ended(channel, status, org_id)


def call_dead_lettered(channel: str | None, org_id: object) -> None:
    if (m := _current) is not None:
        m.finalize_dead_lettered.inc()
        call_ended(channel, "finalize_failed", org_id)


def finalize_failed() -> None:
    if (m := _current) is not None:
        m.finalize_failures.inc()


def finalize_deferred() -> None:
    if (m := _current) is not None:
        m.finalize_deferred.inc()


def sweeper_pass() -> None:
    if (m := _current) is not None:
        m.sweeper_passes.inc()


def webhook_deliveries(states: Iterable[str]) -> None:
    """Each attempt by the delivery state it leads to: delivered, retrying (pending), failed or dead."""
    if (m := _current) is not None:
        for state in states:
            outcome = "retrying" if state == "pending" else state
            m.webhook_deliveries.labels(_closed(outcome, WEBHOOK_OUTCOMES)).inc()


def concurrency_overflow(scope: str) -> None:
    if (m := _current) is not None:
        m.concurrency_overflows.labels(_closed(scope, OVERFLOW_SCOPES)).inc()


def first_agent_audio(started_at: datetime) -> bool:
    """Once per call, at the first agent audio sent; returns True so the caller's flag flips."""
    if (m := _current) is not None:
        m.first_agent_audio.observe(max(0.0, time.time() - started_at.timestamp()))
    return True


def timed(
    record: Callable[[float], None],
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Records how long each successful await of the decorated function took (mint latency)."""

    def wrap(func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(func)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            result = await func(*args, **kwargs)
            record(time.perf_counter() - started)
            return result

        return run

    return wrap


def _ignore(_seconds: float) -> None:
    return None


def relay_timer(direction: str, *, every: int = RELAY_SAMPLE_EVERY) -> Callable[[float], None]:
    """The relay histogram of one direction, bound once per call and sampled: every `every`-th frame is
    observed (an observe costs ~1 us, ~5 us in multiprocess mode; a skipped frame one add and compare)."""
    if (m := _current) is None:
        return _ignore
    observe = m.relay_frame.labels(direction).observe
    skipped = 0

    def sampled(seconds: float) -> None:
        nonlocal skipped
        skipped += 1
        if skipped >= every:
            skipped = 0
            observe(seconds)

    return sampled


# -- GET /metrics -------------------------------------------------------------------------------------


class MetricsOff(NotFound):
    message = "metrics are turned off"


class MetricsUnauthorized(Unauthorized):
    message = "a valid bearer token is required"


router = APIRouter(tags=["metrics"], include_in_schema=False)


def _authorized(settings: MetricsSettings, authorization: str | None) -> bool:
    if settings.bearer_token is None:
        return True
    scheme, _, token = (authorization or "").partition(" ")
    wanted = settings.bearer_token.get_secret_value()
    return scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), wanted.encode())


@router.get("/metrics")
async def get_metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    state: Any = request.app.state.callintake
    settings: MetricsSettings = state.settings.metrics
    metrics = current()
    if not settings.enabled or metrics is None:
        raise MetricsOff()
    if not _authorized(settings, authorization):
        raise MetricsUnauthorized(headers={"WWW-Authenticate": "Bearer"})
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
