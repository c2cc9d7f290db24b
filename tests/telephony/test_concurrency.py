"""Many calls at once on one process: each call's audio, transcript and record stay its own."""

from __future__ import annotations

import asyncio
from typing import Any

from simulator.realtime import FakeConnection
from tests.fakes.twilio import FRAME_BYTES
from tests.telephony.conftest import GREETING, PhoneRig, RigFactory, quick_behaviour, transcript_of

CALLS = 50


async def _connection_for(rig: PhoneRig, marker: bytes) -> FakeConnection:
    """The Realtime connection whose caller audio starts with `marker` (each call sends its own)."""
    async with asyncio.timeout(10):
        while True:
            for conn in rig.fake.connections:
                if conn.input_audio[: len(marker)] == marker:
                    return conn
            await asyncio.sleep(0.01)


async def _one_call(rig: PhoneRig, index: int) -> dict[str, Any]:
    caller = rig.caller(from_number=f"+1555123{index:04d}")
    call_id, twiml = await rig.answer(caller)
    stream = await caller.connect_stream(twiml)
    own = bytes([index + 1]) * FRAME_BYTES
    await stream.play(own, realtime=False)
    conn = await _connection_for(rig, own)
    conn.behaviour.caller_transcripts.append(f"This is caller number {index}")
    await stream.wait_until(lambda: len(stream.marks_echoed) >= 3, timeout=15, what="greeting played")
    await stream.play(own * 9, realtime=False)  # 200 ms in all: the fake takes a turn and replies
    await stream.wait_for_audio((GREETING.audio_ms + 300) * 8, timeout=15)
    await stream.wait_until(lambda: stream.queued_ms == 0, timeout=15, what="reply played")
    await asyncio.sleep(0.05)
    await stream.stop()
    stored = await rig.stored(call_id, timeout=15)
    return {
        "index": index,
        "stored": stored,
        "sent_up": bytes(conn.input_audio),
        "expected_up": own * 10,
        "heard": bytes(stream.received_audio),
        "sent_down": b"".join(bytes(audio) for audio in conn.sent_audio.values()),
        "errors": stream.protocol_errors
        + [e["error"]["code"] for e in conn.sent_events if e["type"] == "error"],
    }


async def test_fifty_concurrent_calls_keep_audio_and_transcripts_apart(rig_factory: RigFactory) -> None:
    # Fifty calls end within a few milliseconds here, each finalize a transaction, beside fifty pollers;
    # this test is about keeping calls apart, so the pool is sized for the burst (the default's 2 s wait
    # would defer some finalizes to a sweeper this rig does not run).
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=200), db_pool_size=30) as rig:
        results = await asyncio.gather(*(_one_call(rig, i) for i in range(CALLS)))

    assert len({r["stored"]["call_id"] for r in results}) == CALLS
    for r in results:
        index, stored = r["index"], r["stored"]
        assert r["sent_up"] == r["expected_up"], index
        assert r["heard"] == r["sent_down"] and len(r["heard"]) == (GREETING.audio_ms + 300) * 8, index
        assert r["errors"] == [], index
        assert stored["from_number"] == f"+1555123{index:04d}"
        assert transcript_of(stored) == [
            ("agent", GREETING.text),
            ("caller", f"This is caller number {index}"),
            ("agent", "Okay, I can help with that."),
        ], index
        assert stored["end_reason"] == "caller_hung_up"
