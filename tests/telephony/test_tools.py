"""Tools run on the server: escalate_call transfers after the hand-off line, end_call hangs up after the
goodbye, complete_intake stores the intake; bad arguments go back to the model; each call runs once."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from simulator.realtime import AudioReply, FunctionCall, ScriptedResponse
from tests.fakes.twilio import FRAME_BYTES
from tests.telephony.conftest import (
    ESCALATION_PHONE,
    GREETING,
    PhoneCall,
    PhoneRig,
    RigFactory,
    events_of,
    quick_behaviour,
    transcript_of,
)

HANDOFF = AudioReply("I am connecting you with a person now.", 400)
GOODBYE = AudioReply("Thanks for calling, goodbye!", 400)


def outputs(call: PhoneCall) -> list[dict[str, Any]]:
    return [
        orjson.loads(event["item"]["output"])
        for event in call.conn.received("conversation.item.create")
        if event["item"]["type"] == "function_call_output"
    ]


async def caller_turn(call: PhoneCall, *steps: ScriptedResponse) -> None:
    """After the greeting, enough caller audio for the fake (respond_every_ms=100) to take a turn, which
    it answers with `steps`."""
    await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
    call.conn.queue(*steps)
    await call.stream.play(b"\x7f" * FRAME_BYTES * 5, realtime=False)


async def test_escalate_call_transfers_to_escalation_phone_after_the_handoff_line(
    rig_factory: RigFactory,
) -> None:
    escalate = FunctionCall(
        "escalate_call",
        {"reason": "Chest pain", "urgency": "emergency"},
        call_id="call_e1",
        then_audio=HANDOFF,
    )
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await caller_turn(call, escalate)
        update = await rig.rest.wait_for_update()
        await call.stream.wait_closed()
        stored = await rig.stored(call.call_id)

    assert update.call_sid == call.stream.call_sid
    assert update.twiml_dial_number() == ESCALATION_PHONE
    # The hand-off line was heard in full before the transfer: nothing was cut off by it.
    assert (
        call.stream.played_bytes == call.stream.received_bytes == (GREETING.audio_ms + HANDOFF.audio_ms) * 8
    )
    assert outputs(call)[0]["status"] == "escalated" and outputs(call)[0]["transfer"] == "live"
    assert (stored["end_reason"], stored["escalated"], stored["escalation_urgency"]) == (
        "escalated_transfer",
        True,
        "emergency",
    )
    assert len(events_of(stored, "escalated")) == 1 and len(events_of(stored, "transferred")) == 1
    assert ("agent", HANDOFF.text) in transcript_of(stored)


async def test_escalate_call_without_escalation_phone_records_it_and_keeps_the_call(
    rig_factory: RigFactory,
) -> None:
    escalate = FunctionCall(
        "escalate_call", {"reason": "Wants a person", "urgency": "urgent"}, call_id="call_e2"
    )
    behaviour = quick_behaviour(respond_every_ms=100)
    async with rig_factory(behaviour=behaviour, escalation_phone=None) as rig:
        call = await rig.place_call()
        await caller_turn(call, escalate)
        await call.conn.wait_for(lambda: bool(outputs(call)))
        await call.conn.wait_for_event("response.create", nth=2)
        await asyncio.sleep(0.1)
        detail = await rig.call_detail(call.call_id)
        still_open = not call.stream.closed

    assert outputs(call)[0]["transfer"] == "callback"
    assert rig.rest.updates == []
    assert still_open
    assert detail["live"] is True and detail["escalated"] is True


async def test_end_call_hangs_up_after_the_goodbye_has_played(rig_factory: RigFactory) -> None:
    end = FunctionCall("end_call", {"reason": "caller is done"}, call_id="call_x1", then_audio=GOODBYE)
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await caller_turn(call, end)
        update = await rig.rest.wait_for_update()
        await call.stream.wait_closed()
        stored = await rig.stored(call.call_id)

    assert update.status == "completed" and update.twiml is None
    assert (
        call.stream.played_bytes == call.stream.received_bytes == (GREETING.audio_ms + GOODBYE.audio_ms) * 8
    )
    assert (stored["status"], stored["end_reason"]) == ("completed", "agent_end_call")
    assert transcript_of(stored)[-1] == ("agent", GOODBYE.text)


async def test_complete_intake_stores_the_intake(rig_factory: RigFactory) -> None:
    intake = FunctionCall(
        "complete_intake",
        {"caller_name": "Ada", "visit_type": "new", "urgency_level": "routine", "summary": "New patient."},
        call_id="call_i1",
    )
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await caller_turn(call, intake)
        await call.conn.wait_for(lambda: bool(outputs(call)))
        await call.stream.stop()
        stored = await rig.stored(call.call_id)

    assert outputs(call) == [{"status": "saved", "next": outputs(call)[0]["next"]}]
    assert stored["intake"]["data"] == {"caller_name": "Ada", "visit_type": "new"}
    assert (stored["intake"]["urgency"], stored["urgency"]) == ("routine", "routine")


async def test_invalid_tool_arguments_go_back_to_the_model_as_an_error(rig_factory: RigFactory) -> None:
    bad = FunctionCall("complete_intake", {"urgency_level": "whenever"}, call_id="call_b1")
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await caller_turn(call, bad)
        await call.conn.wait_for_event("response.create", nth=2)
        detail = await rig.call_detail(call.call_id)

    [output] = outputs(call)
    assert output["status"] == "error" and output["error"] == "invalid_tool_arguments"
    assert {d["field"] for d in output["details"]} >= {"summary", "caller_name", "urgency_level"}
    assert detail["intake"] is None
    assert [e for e in call.conn.sent_events if e["type"] == "error"] == []


async def test_unknown_tool_goes_back_to_the_model_as_an_error(rig_factory: RigFactory) -> None:
    unknown = FunctionCall("book_flight", {"to": "Paris"}, call_id="call_u1")
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        await caller_turn(call, unknown)
        await call.conn.wait_for(lambda: bool(outputs(call)))

    assert outputs(call)[0]["error"] == "unknown_tool"


async def test_repeated_tool_call_id_is_applied_and_answered_once(rig: PhoneRig) -> None:
    call = await rig.place_call()
    await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
    arguments = orjson.dumps(
        {"caller_name": "Bo", "urgency_level": "urgent", "summary": "Toothache."}
    ).decode()
    done = {
        "type": "response.function_call_arguments.done",
        "response_id": "resp_dup",
        "item_id": "item_dup",
        "output_index": 0,
        "call_id": "call_dup",
        "name": "complete_intake",
        "arguments": arguments,
    }
    await call.conn.send_event(done)
    await call.conn.send_event(dict(done))
    await call.conn.wait_for(lambda: bool(outputs(call)))
    await call.conn.send_event({"type": "rate_limits.updated", "rate_limits": []})
    await asyncio.sleep(0.1)
    detail = await rig.call_detail(call.call_id)

    assert len(outputs(call)) == 1
    assert len(events_of(detail, "intake_completed")) == 1


async def test_end_call_keeps_its_reason_when_twilio_stops_the_stream_before_the_hang_up_answers(
    rig_factory: RigFactory,
) -> None:
    end = FunctionCall("end_call", {"reason": "caller is done"}, call_id="call_x2", then_audio=GOODBYE)
    async with rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig:
        call = await rig.place_call()
        rig.rest.delay_ms = 1000  # real Twilio: the stop of the hung-up stream can beat the REST answer
        await caller_turn(call, end)
        async with asyncio.timeout(5):
            while not any(r.params.get("Status") == "completed" for r in rig.rest.requests):
                await asyncio.sleep(0.01)
        await call.stream.stop()
        stored = await rig.stored(call.call_id)

    assert (stored["status"], stored["end_reason"]) == ("completed", "agent_end_call")
