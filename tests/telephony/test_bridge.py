"""Audio relayed byte for byte both ways, marks, and barge-in (clear + truncate within what was heard)."""

from __future__ import annotations

import asyncio
import base64

from simulator.realtime import AudioReply
from tests.fakes.twilio import FRAME_BYTES
from tests.telephony.conftest import GREETING, PhoneRig, RigFactory, quick_behaviour, transcript_of


def pattern(seed: int, size: int) -> bytes:
    return bytes((seed + i * 7) % 256 for i in range(size))


async def test_caller_audio_reaches_openai_byte_for_byte(rig: PhoneRig) -> None:
    call = await rig.place_call()
    audio = pattern(3, FRAME_BYTES * 25)
    await call.stream.play(audio, realtime=False)
    await call.conn.wait_for(lambda: call.conn.append_count >= 25)

    assert bytes(call.conn.input_audio) == audio


async def test_agent_audio_reaches_caller_byte_for_byte_with_a_mark_per_chunk(rig: PhoneRig) -> None:
    call = await rig.place_call()
    [(item_id, sent)] = call.conn.sent_audio.items()
    await call.stream.wait_until(lambda: len(call.stream.marks_echoed) == 3, what="all marks echoed")

    assert bytes(call.stream.received_audio) == bytes(sent) and len(sent) == GREETING.audio_ms * 8
    assert call.stream.marks_echoed == [f"{item_id}:800", f"{item_id}:1600", f"{item_id}:2400"]
    assert call.stream.protocol_errors == []


async def test_agent_line_is_recorded_once_the_caller_has_heard_it(rig: PhoneRig) -> None:
    call = await rig.place_call()
    await call.stream.wait_until(lambda: len(call.stream.marks_echoed) == 3, what="greeting played")
    await asyncio.sleep(0.05)

    detail = await rig.call_detail(call.call_id)
    assert transcript_of(detail) == [("agent", GREETING.text)]


async def test_barge_in_clears_twilio_and_truncates_at_what_was_heard(rig_factory: RigFactory) -> None:
    long_greeting = AudioReply("One two three four five six seven eight nine ten.", 3000)
    behaviour = quick_behaviour(greeting=long_greeting, respond_every_ms=100)
    async with rig_factory(behaviour=behaviour) as rig:
        call = await rig.place_call()
        await call.stream.wait_for_audio(3000 * 8)
        await asyncio.sleep(0.5)  # about half a second of the greeting has played
        await call.stream.play(pattern(9, FRAME_BYTES * 5), realtime=False)  # the caller talks over it
        truncate = await call.conn.wait_for_event("conversation.item.truncate")
        await call.stream.wait_until(lambda: call.stream.clears == 1, what="clear")
        heard_ms = call.stream.played_bytes / 8
        await call.stream.stop()
        stored = await rig.stored(call.call_id)

    greeting_item = next(iter(call.conn.sent_audio))
    assert truncate["item_id"] == greeting_item and truncate["content_index"] == 0
    assert 300 <= truncate["audio_end_ms"] <= heard_ms <= 900
    assert [e for e in call.conn.sent_events if e["type"] == "error"] == []
    agent_first = transcript_of(stored)[0]
    assert agent_first[0] == "agent" and agent_first[1].endswith("…")
    assert agent_first[1].startswith("One two") and "ten." not in agent_first[1]


async def test_speech_while_agent_is_silent_sends_no_clear(rig_factory: RigFactory) -> None:
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) == 3, what="greeting played")
        await call.stream.play(pattern(1, FRAME_BYTES * 5), realtime=False)
        await call.conn.wait_for(lambda: len(call.conn.sent_audio) == 2)  # the reply after the turn
        await call.stream.wait_for_audio((GREETING.audio_ms + 300) * 8)

    assert call.stream.clears == 0
    assert call.conn.received("conversation.item.truncate") == []


async def test_late_chunks_of_an_interrupted_item_are_dropped(rig_factory: RigFactory) -> None:
    long_greeting = AudioReply("A long greeting.", 3000)
    async with rig_factory(behaviour=quick_behaviour(greeting=long_greeting, respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await call.stream.wait_for_audio(3000 * 8)
        await call.stream.play(pattern(2, FRAME_BYTES * 5), realtime=False)
        truncate = await call.conn.wait_for_event("conversation.item.truncate")
        late = base64.b64encode(b"\x42" * 800).decode()
        delta = {"type": "response.output_audio.delta", "response_id": "resp_late", "delta": late}
        ids = {"item_id": truncate["item_id"], "output_index": 0, "content_index": 0}
        await call.conn.send_event({**delta, **ids})
        await call.conn.send_event({"type": "rate_limits.updated", "rate_limits": []})
        await asyncio.sleep(0.1)

    # Not a byte count: the fake's reply to the barge-in turn may arrive in that window (it did on a
    # loaded machine). No 20 ms frame's worth of the late chunk's bytes reached the caller.
    assert b"\x42" * FRAME_BYTES not in bytes(call.stream.received_audio)


async def test_non_compact_audio_delta_is_still_relayed(rig: PhoneRig) -> None:
    call = await rig.place_call()
    await call.stream.wait_for_audio(GREETING.audio_ms * 8)
    chunk = pattern(5, 400)
    # Another field order than the slicer expects: the bridge falls back to a real parse.
    await call.conn.send_event(
        {"delta": base64.b64encode(chunk).decode(), "type": "response.output_audio.delta",
         "item_id": "item_other", "response_id": "resp_x", "output_index": 0, "content_index": 0}
    )  # fmt: skip
    await call.stream.wait_for_audio(GREETING.audio_ms * 8 + 400)

    assert bytes(call.stream.received_audio[-400:]) == chunk
