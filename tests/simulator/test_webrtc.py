"""The simulator's WebRTC peer against a real aiortc client peer on loopback: ICE, DTLS, SRTP, SCTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from simulator.audio import AgentVoice, frame_level
from simulator.webrtc import CHANNEL_LABEL, ScriptedLine, SimulatedCall, WebRTCSimulator

LOUD = 1000.0  # RMS of the tone after Opus is far above this; silence decodes to ~0
CALLER_TURN = [
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.input_audio_transcription.completed",
]


class ClientPeer:
    """What a browser does: a microphone track, the "oai-events" channel, an offer with full candidates."""

    def __init__(self, *, channel_label: str = CHANNEL_LABEL) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = AgentVoice(tone_hz=523.0)
        self.pc.addTrack(self.mic)
        self.channel = self.pc.createDataChannel(channel_label)
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.levels: list[float] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.channel.on("message", lambda message: self.events.put_nowait(orjson.loads(message)))
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.levels.append(frame_level(frame))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def connect(self, sim: WebRTCSimulator, *, call_id: str = "rtc_sim_test") -> SimulatedCall:
        answer = await sim.answer(await self.offer(), call_id=call_id)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: self.pc.connectionState == "connected", "client connected")
        await wait_for(lambda: self.channel.readyState == "open", "data channel open")
        return sim.calls[call_id]

    async def next_event(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.mic.stop()
        await self.pc.close()


async def wait_for(predicate: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def simulator(**options: Any) -> AsyncIterator[WebRTCSimulator]:
    sim = WebRTCSimulator(**options)
    try:
        yield sim
    finally:
        await sim.close()


@pytest.fixture
async def client() -> AsyncIterator[ClientPeer]:
    peer = ClientPeer()
    try:
        yield peer
    finally:
        await peer.close()


async def test_answer_connects_ice_and_dtls_on_loopback(client: ClientPeer) -> None:
    async with simulator() as sim:
        answer = await sim.answer(await client.offer(), call_id="rtc_sim_1")
        candidates = [line for line in answer.splitlines() if line.startswith("a=candidate:")]
        assert candidates
        assert all(line.split()[4] == "127.0.0.1" for line in candidates)
        assert "a=fingerprint:sha-256" in answer
        assert "s=callintake-simulator" in answer
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: client.pc.connectionState == "connected", "client connected")
        await wait_for(lambda: sim.calls["rtc_sim_1"].connection_state == "connected", "simulator connected")


async def test_scripted_line_arrives_on_data_channel_when_due(client: ClientPeer) -> None:
    heard: list[dict[str, Any]] = []

    async def on_server_event(call_id: str, event: dict[str, Any]) -> None:
        heard.append({"call_id": call_id, **event})

    async with simulator(
        script=[ScriptedLine("my dog ate chocolate", at=0.4)], on_server_event=on_server_event
    ) as sim:
        await client.connect(sim)
        started = time.monotonic()
        events = [await client.next_event() for _ in CALLER_TURN]
        assert time.monotonic() - started >= 0.3
        assert [event["type"] for event in events] == CALLER_TURN
        assert events[-1]["transcript"] == "my dog ate chocolate"
        assert len({event["item_id"] for event in events}) == 1
        assert [event["event_id"] for event in heard] == [event["event_id"] for event in events]
        assert {event["call_id"] for event in heard} == {"rtc_sim_test"}


async def test_speech_triggered_line_waits_for_sound_on_the_incoming_track(client: ClientPeer) -> None:
    async with simulator(script=[ScriptedLine("is anyone there", on_speech=True)]) as sim:
        call = await client.connect(sim)
        await wait_for(lambda: call.frames_received >= 25, "silent frames at the simulator")
        with pytest.raises(TimeoutError):
            await client.next_event(timeout=0.8)
        assert call.voiced_frames == 0

        client.mic.speak(1.0)
        events = [await client.next_event() for _ in CALLER_TURN]
        assert events[-1]["transcript"] == "is anyone there"
        assert call.voiced_frames >= 10


async def test_agent_tone_arrives_as_audio_frames(client: ClientPeer) -> None:
    async with simulator(greeting_seconds=0.0) as sim:
        call = await client.connect(sim)
        await wait_for(lambda: len(client.levels) >= 25, "audio frames at the client")
        assert max(client.levels) < LOUD  # silence until the agent speaks

        call.speak(0.5)
        await wait_for(lambda: any(level > LOUD for level in client.levels), "the agent's tone")


async def test_event_sent_before_the_channel_opens_is_delivered_once_it_does(client: ClientPeer) -> None:
    async with simulator() as sim:
        answer = await sim.answer(await client.offer(), call_id="rtc_sim_early")
        sim.calls["rtc_sim_early"].send_event({"type": "session.created", "session": {"id": "sess_sim"}})
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        event = await client.next_event()
        assert event["type"] == "session.created"
        assert event["event_id"].startswith("event_sim_")


async def test_client_events_reach_the_hook_and_the_record(client: ClientPeer) -> None:
    seen: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    async with simulator(on_client_event=lambda call_id, event: seen.put_nowait((call_id, event))) as sim:
        call = await client.connect(sim)
        client.channel.send('{"type": "session.update", "session": {"instructions": "x"}}')
        client.channel.send("not json")
        call_id, event = await asyncio.wait_for(seen.get(), 5)
        assert (call_id, event["type"]) == ("rtc_sim_test", "session.update")
        await asyncio.sleep(0.2)
        assert [event["type"] for event in call.received] == ["session.update"]


async def test_hangup_closes_the_call_and_forgets_it(client: ClientPeer) -> None:
    async with simulator() as sim:
        call = await client.connect(sim)
        assert await sim.hangup("rtc_sim_test") is True
        assert call.closed.is_set()
        assert sim.calls == {}
        assert await sim.hangup("rtc_sim_test") is False
        await wait_for(lambda: client.channel.readyState == "closed", "client's channel closed")


async def test_peer_that_closes_ends_the_simulated_call(client: ClientPeer) -> None:
    async with simulator() as sim:
        call = await client.connect(sim)
        await client.pc.close()
        await asyncio.wait_for(call.closed.wait(), 10)
        assert sim.calls == {}


@pytest.mark.parametrize(
    "offer",
    ["hello", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"],
    ids=["not-sdp", "no-media"],
)
async def test_offer_it_cannot_answer_is_refused_and_leaves_no_call(offer: str) -> None:
    async with simulator() as sim:
        with pytest.raises(ValueError, match="cannot answer"):
            await sim.answer(offer, call_id="rtc_sim_bad")
        assert sim.calls == {}


async def test_call_id_in_use_is_refused(client: ClientPeer) -> None:
    async with simulator() as sim:
        await client.connect(sim, call_id="rtc_sim_dup")
        second = ClientPeer()
        try:
            with pytest.raises(ValueError, match="in use"):
                await sim.answer(await second.offer(), call_id="rtc_sim_dup")
        finally:
            await second.close()
        assert sim.calls["rtc_sim_dup"].connection_state == "connected"


async def test_offered_candidates_off_loopback_are_dropped(client: ClientPeer) -> None:
    async with simulator() as sim:
        offer = await client.offer()
        foreign = "a=candidate:1 1 udp 2130706431 192.0.2.55 50000 typ host"
        offer = offer.replace("a=end-of-candidates", f"{foreign}\r\na=end-of-candidates", 1)
        answer = await sim.answer(offer, call_id="rtc_sim_lo")
        remote = sim.calls["rtc_sim_lo"].pc.remoteDescription.sdp
        assert "192.0.2.55" not in remote
        assert "127.0.0.1" in remote
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: client.pc.connectionState == "connected", "client connected")


async def test_channel_with_another_label_is_not_used() -> None:
    other = ClientPeer(channel_label="chat")
    try:
        async with simulator(script=[ScriptedLine("hello", at=0.0)]) as sim:
            answer = await sim.answer(await other.offer(), call_id="rtc_sim_other")
            await other.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await wait_for(lambda: other.channel.readyState == "open", "data channel open")
            with pytest.raises(TimeoutError):
                await other.next_event(timeout=0.5)
            assert not sim.calls["rtc_sim_other"].opened.is_set()
    finally:
        await other.close()
