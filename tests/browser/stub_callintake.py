"""A stand-in for callintake's browser-call API, answered by the simulator's WebRTC peer directly.

Only for driving examples/nextjs in a browser before (or without) the full stack: it has the three
routes the page's route handlers call, escalates a scripted caller line that mentions chocolate, and
records every end. It checks nothing callintake checks beyond the key and the SDP's shape. Not a test
fake of callintake (our own code is never faked in tests); the real stack is the harness's default.

Modes, one per thing the page must get right:
- "call": the scripted caller's emergency (once the microphone carried sound), the escalation, an
  agent line.
- "drop": the media side goes away a second after it opened, as if OpenAI dropped the call.
- "refuse": the offer is refused after the call was started (502 naming the call in X-Call-Id).
- "last_line": the caller starts speaking and is transcribed 2 s later; a line that arrives after
  the end is lost, as it would be at callintake.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.webrtc import ScriptedLine, SimulatedCall, WebRTCSimulator

Mode = Literal["call", "drop", "refuse", "last_line"]
STUB_KEY = "cik_stub_" + "0" * 24
EMERGENCY_LINE = "my dog just ate a whole bar of dark chocolate"
LAST_LINE = "and she is twelve years old"
AGENT_LINE = "If anyone is in danger, call your emergency number now. A vet will call you back."


@dataclass
class StubCall:
    call_id: str
    rtc_id: str
    status: str = "active"
    escalated: bool = False
    escalation_reason: str | None = None
    end_reason: str | None = None
    ended_at: float | None = None
    caller_lines: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "status": self.status,
            "live": self.status == "active",
            "escalated": self.escalated,
            "escalation_reason": self.escalation_reason,
            "escalation_urgency": "emergency" if self.escalated else None,
            "end_reason": self.end_reason,
        }


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"error": {"code": code, "message": code, "details": None}}, headers)


class StubCallintake:
    def __init__(self, mode: Mode = "call") -> None:
        self.mode = mode
        self.calls: dict[str, StubCall] = {}
        self.ends: list[dict[str, Any]] = []
        self.url = ""
        self._tasks: set[asyncio.Task[None]] = set()
        # Due once the browser's (fake) microphone has carried sound: the energy trigger, end to end.
        script = [ScriptedLine(EMERGENCY_LINE, at=1.0, on_speech=True)] if mode == "call" else []
        self.sim = WebRTCSimulator(script=script, on_server_event=self._on_server_event)
        self.app = Starlette(
            routes=[
                Route("/api/realtime/calls", self._create_call, methods=["POST"]),
                Route("/api/calls/{call_id}", self._get_call, methods=["GET"]),
                Route("/api/call/end", self._end_call, methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {STUB_KEY}"

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _create_call(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, "invalid_api_key")
        if request.headers.get("content-type", "").split(";")[0] != "application/sdp":
            return _error(415, "unsupported_media_type")
        offer = (await request.body()).decode()
        if not offer.startswith("v=0"):
            return _error(422, "validation_error")
        call = StubCall(call_id=str(uuid.uuid4()), rtc_id=f"rtc_sim_{secrets.token_hex(6)}")
        self.calls[call.call_id] = call
        if self.mode == "refuse":
            return _error(502, "upstream_refused", {"X-Call-Id": call.call_id})
        try:
            answer = await self.sim.answer(offer, call_id=call.rtc_id)
        except ValueError:
            return _error(502, "upstream_refused", {"X-Call-Id": call.call_id})
        if self.mode == "drop":
            self._spawn(self._drop(self.sim.calls[call.rtc_id]))
        elif self.mode == "last_line":
            self._spawn(self._late_line(call, self.sim.calls[call.rtc_id]))
        headers = {"Location": f"/api/calls/{call.call_id}", "X-Call-Id": call.call_id}
        return Response(answer, status_code=201, media_type="application/sdp", headers=headers)

    async def _drop(self, simulated: SimulatedCall) -> None:
        await simulated.opened.wait()
        await asyncio.sleep(1.0)
        await simulated.close()

    async def _late_line(self, call: StubCall, simulated: SimulatedCall) -> None:
        await simulated.opened.wait()
        await asyncio.sleep(1.0)
        item = {"item_id": "item_sim_last"}
        simulated.send_event({"type": "input_audio_buffer.speech_started", **item})
        simulated.send_event({"type": "input_audio_buffer.speech_stopped", **item})
        simulated.send_event({"type": "input_audio_buffer.committed", **item})
        await asyncio.sleep(2.0)
        if call.status == "active":  # callintake keeps no line that arrives after the end
            call.caller_lines.append(LAST_LINE)
        simulated.send_event(
            {"type": "conversation.item.input_audio_transcription.completed", "transcript": LAST_LINE, **item}
        )

    async def _get_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["call_id"])
        if not self._authorized(request) or call is None:
            return _error(404, "call_not_found")
        return _json(200, call.view())

    async def _end_call(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        call = self.calls.get(str(body.get("call_id")))
        if not self._authorized(request) or call is None:
            return _error(404, "call_not_found")
        self.ends.append(body)
        if call.status == "active":
            call.status, call.end_reason = "completed", body.get("reason") or "ended"
            call.ended_at = time.monotonic()
            await self.sim.hangup(call.rtc_id)
        return _json(200, call.view())

    async def _on_server_event(self, rtc_id: str, event: dict[str, Any]) -> None:
        if event.get("type") != "conversation.item.input_audio_transcription.completed":
            return
        call = next((c for c in self.calls.values() if c.rtc_id == rtc_id), None)
        simulated = self.sim.calls.get(rtc_id)
        if call is None or simulated is None or call.status != "active":
            return
        call.caller_lines.append(event["transcript"])
        if "chocolate" in event["transcript"]:
            call.escalated, call.escalation_reason = True, "possible toxin ingestion"
            simulated.send_event(
                {
                    "type": "response.output_audio_transcript.done",
                    "response_id": "resp_sim_1",
                    "item_id": "item_sim_agent_1",
                    "output_index": 0,
                    "content_index": 0,
                    "transcript": AGENT_LINE,
                }
            )
            simulated.speak(1.5)
