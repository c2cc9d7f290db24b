"""Per-process phone state, held in `state.extras["telephony"]`: the Twilio REST client, signature checks,
Realtime sessions pre-opened while answering webhooks, and the bridges running here.

Pre-opened sessions are keyed by call id and closed if their media stream does not arrive within
`TWILIO_PREWARM_TTL_SECONDS` (it may have landed on another process, which opens its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from app.calls.service import OrgContext
from app.realtime.session import PCMU, realtime_session
from app.realtime.upstream import Upstream, open_session
from app.safety.prompt import SessionSpec
from app.settings import Settings
from app.telephony.signature import TwilioSignatures
from app.telephony.twilio_client import TwilioCalls

if TYPE_CHECKING:
    from app.state import AppState

log = logging.getLogger("callintake.telephony")

EXTRAS_KEY = "telephony"
_MAX_PREWARMED = 2000
_REAP_INTERVAL = 1.0


def phone_session(spec: SessionSpec, settings: Settings) -> dict[str, Any]:
    return realtime_session(
        spec, transcription_model=settings.openai.transcription_model, audio_format=PCMU, phone=True
    )


@dataclass(slots=True)
class Prewarmed:
    org: OrgContext
    spec: SessionSpec
    opening: asyncio.Task[Upstream]
    expires_at: float


class RunningCall(Protocol):
    """A bridge as the webhooks see it (typed here so runtime never imports the bridge)."""

    async def stop(self, reason: str, *, status: str, wait_seconds: float) -> None: ...


class TelephonyRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        token = settings.twilio.auth_token
        self.signatures = TwilioSignatures(
            token.get_secret_value() if token else None, settings.public_base_url
        )
        self.calls = TwilioCalls.build(settings.twilio)
        self.bridges: dict[str, RunningCall] = {}
        self._prewarmed: dict[str, Prewarmed] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap(), name="telephony-prewarm-reaper")

    async def aclose(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        for entry in list(self._prewarmed.values()):
            await _discard(entry)
        self._prewarmed.clear()
        if self.calls is not None:
            await self.calls.aclose()

    def prewarm(self, call_id: str, *, org: OrgContext, spec: SessionSpec) -> None:
        """Start opening the call's Realtime session (greeting requested) without waiting for it."""
        if call_id in self._prewarmed or len(self._prewarmed) >= _MAX_PREWARMED:
            return
        session = phone_session(spec, self.settings)
        opening = asyncio.create_task(
            open_session(self.settings.openai, session=session, greet=True), name=f"prewarm-{call_id}"
        )
        # Retrieve a failure here so an unclaimed task never logs "exception was never retrieved".
        opening.add_done_callback(lambda task: task.cancelled() or task.exception())
        expires_at = time.monotonic() + self.settings.twilio.prewarm_ttl_seconds
        self._prewarmed[call_id] = Prewarmed(org=org, spec=spec, opening=opening, expires_at=expires_at)

    def claim(self, call_id: str) -> Prewarmed | None:
        return self._prewarmed.pop(call_id, None)

    async def drop(self, call_id: str) -> None:
        """Close a pre-opened session whose call ended before its stream arrived."""
        entry = self._prewarmed.pop(call_id, None)
        if entry is not None:
            await _discard(entry)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(_REAP_INTERVAL)
            now = time.monotonic()
            for call_id in [k for k, v in self._prewarmed.items() if v.expires_at <= now]:
                entry = self._prewarmed.pop(call_id, None)
                if entry is not None:
                    log.info("prewarm_expired", extra={"call": call_id})
                    await _discard(entry)


async def _discard(entry: Prewarmed) -> None:
    if not entry.opening.done():
        entry.opening.cancel()
        await asyncio.gather(entry.opening, return_exceptions=True)
        return
    if entry.opening.cancelled() or entry.opening.exception() is not None:
        return
    with contextlib.suppress(Exception):
        await entry.opening.result().close()


def telephony(state: AppState) -> TelephonyRuntime:
    runtime: TelephonyRuntime = state.extras[EXTRAS_KEY]
    return runtime
