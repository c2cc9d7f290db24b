"""Server-side detection on caller lines escalates the call even when the model never calls the tool."""

from __future__ import annotations

from tests.fakes.twilio import FRAME_BYTES
from tests.telephony.conftest import ESCALATION_PHONE, RigFactory, events_of, quick_behaviour, transcript_of


async def test_emergency_in_caller_speech_transfers_without_the_tool(rig_factory: RigFactory) -> None:
    behaviour = quick_behaviour(respond_every_ms=100, caller_transcripts=["My jaw swelling is getting worse"])
    async with rig_factory(behaviour=behaviour) as rig:
        call = await rig.place_call()
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
        await call.stream.play(b"\x7f" * FRAME_BYTES * 5, realtime=False)
        update = await rig.rest.wait_for_update()
        await call.stream.wait_closed()
        stored = await rig.stored(call.call_id)

    assert update.twiml_dial_number() == ESCALATION_PHONE
    instructions = [
        event["item"]["content"][0]["text"]
        for event in call.conn.received("conversation.item.create")
        if event["item"].get("role") == "system"
    ]
    assert len(instructions) == 1 and "hang up and call 911" in instructions[0]
    created = call.conn.received("conversation.item.create")
    assert not any(e["item"]["type"] == "function_call_output" for e in created)
    assert (stored["escalated"], stored["escalation_urgency"], stored["end_reason"]) == (
        True,
        "emergency",
        "escalated_transfer",
    )
    assert [e["data"]["action"] for e in events_of(stored, "detection")] == ["escalated"]
    assert [e["data"]["source"] for e in events_of(stored, "escalated")] == ["detection"]
    assert ("caller", "My jaw swelling is getting worse") in transcript_of(stored)
    # The hand-off line the model was asked for was heard in full before the transfer (the model's own
    # reply to the caller may have been cut for it).
    assert transcript_of(stored)[-1][0] == "agent"
    assert call.stream.played_bytes + call.stream.cleared_bytes == call.stream.received_bytes


async def test_request_for_a_person_without_escalation_phone_asks_for_a_callback_line(
    rig_factory: RigFactory,
) -> None:
    behaviour = quick_behaviour(respond_every_ms=100, caller_transcripts=["Can I talk to a person please"])
    async with rig_factory(behaviour=behaviour, escalation_phone=None) as rig:
        call = await rig.place_call()
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
        await call.stream.play(b"\x7f" * FRAME_BYTES * 5, realtime=False)
        system = await call.conn.wait_for_event("conversation.item.create")
        detail = await rig.call_detail(call.call_id)

    assert "a person will call them back" in system["item"]["content"][0]["text"]
    assert rig.rest.updates == []
    assert (detail["live"], detail["escalated"], detail["escalation_urgency"]) == (True, True, "urgent")


async def test_routine_caller_speech_does_not_escalate(rig_factory: RigFactory) -> None:
    behaviour = quick_behaviour(respond_every_ms=100, caller_transcripts=["I would like a cleaning"])
    async with rig_factory(behaviour=behaviour) as rig:
        call = await rig.place_call()
        await call.stream.wait_until(lambda: len(call.stream.marks_echoed) >= 3, what="greeting played")
        await call.stream.play(b"\x7f" * FRAME_BYTES * 5, realtime=False)
        await call.stream.wait_for_audio((300 + 300) * 8)
        await call.stream.stop()
        stored = await rig.stored(call.call_id)

    assert stored["escalated"] is False and events_of(stored, "detection") == []
    assert call.conn.received("conversation.item.create") == []
