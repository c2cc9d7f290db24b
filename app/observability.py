"""Wires metrics (app/metrics.py) and traces (app/tracing.py) into an app: one call from create_app."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from app import metrics, tracing
from app.settings import Settings

log = logging.getLogger("callintake.observability")


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Call after the request-log middleware, so the request span wraps that log line too."""
    metrics.configure(settings.metrics)
    tracing.configure(settings)
    app.add_middleware(tracing.TraceMiddleware)
    app.include_router(metrics.router)


def observe_call_event(org_id: object, event: Mapping[str, Any]) -> None:
    """A call event as it is recorded (events/live.py): escalations counted and marked on the call span."""
    if event.get("type") != "escalated":
        return
    try:
        data = event.get("data") or {}
        source, urgency = data.get("source") or "tool", data.get("urgency")
        category = data.get("category") or ("emergency" if urgency == "emergency" else "urgent")
        metrics.escalation(source, category, org_id)
        source, category = metrics.closed_source(source), metrics.closed_category(category)
        tracing.call_event("escalation", source=source, category=category)
    except Exception as exc:  # observing a call never breaks it
        log.warning("observe_event_failed", extra={"error_type": type(exc).__name__})
