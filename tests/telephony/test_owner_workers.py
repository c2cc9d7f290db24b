"""Two app instances on one PostgreSQL and one Redis: a phone call runs on the worker that took its media
stream (the owner), and a Twilio status callback that lands on the other worker ends it there.
"""

from __future__ import annotations

import pytest

from app.calls.owner import EXTRAS_KEY, call_owners
from tests.conftest import RunningApp, run_app
from tests.fakes.twilio import FakeTwilioCaller
from tests.fixtures.factories import key_headers
from tests.telephony.conftest import (
    ESCALATION_PHONE,
    GREETING,
    PUBLIC,
    TOKEN,
    PhoneCall,
    PhoneRig,
    RigFactory,
    events_of,
    quick_behaviour,
    transcript_of,
)
from tests.telephony.test_endings import REPLY, greeting_heard, take_turn


def require_owners(*apps: RunningApp) -> None:
    if any(EXTRAS_KEY not in app.state.extras for app in apps):
        pytest.skip("call owners are not wired into create_app yet (issue 8, item 5)")


def caller_on(rig: PhoneRig, worker: RunningApp, call_sid: str) -> FakeTwilioCaller:
    """Twilio posting this call's webhooks to another worker behind the same public URL."""
    return FakeTwilioCaller(
        app_base_url=worker.server.http_url,
        public_base_url=PUBLIC,
        auth_token=TOKEN,
        call_sid=call_sid,
        to_number=rig.number,
    )


async def test_status_callback_on_the_other_worker_ends_the_call_on_its_owner(
    rig_factory: RigFactory,
) -> None:
    behaviour = quick_behaviour(respond_every_ms=100, caller_transcripts=["Is Dr. Lee in today"])
    async with rig_factory(behaviour=behaviour) as rig, run_app(rig.app.settings) as other:
        require_owners(rig.app, other)
        caller = rig.caller()
        call = await rig.place_call(caller)  # the media stream, so the bridge, is on rig.app
        await greeting_heard(call.stream)
        await take_turn(call, 1)
        assert await call_owners(other.state).owner_alive(call.call_id)

        response = await caller_on(rig, other, caller.call_sid).post_status("completed", duration=2)
        # The owner ended its bridge (hanging up Twilio's socket) and finalized before the webhook answered.
        owner_left = not await call_owners(other.state).owner_alive(call.call_id)
        stored = await rig.stored(call.call_id, timeout=0.5)
        await call.stream.wait_closed(timeout=1.0)

    assert response.status_code == 204
    assert owner_left
    assert (stored["status"], stored["end_reason"]) == ("completed", "call_completed")
    assert transcript_of(stored) == [
        ("agent", GREETING.text),
        ("caller", "Is Dr. Lee in today"),
        ("agent", REPLY),
    ]
    assert len(events_of(stored, "call_ended")) == 1


async def test_status_callback_on_the_other_worker_after_the_owner_ended_changes_nothing(
    rig_factory: RigFactory,
) -> None:
    async with rig_factory() as rig, run_app(rig.app.settings) as other:
        require_owners(rig.app, other)
        caller = rig.caller()
        call = await rig.place_call(caller)
        await greeting_heard(call.stream)
        await call.stream.stop()
        stored = await rig.stored(call.call_id)
        response = await caller_on(rig, other, caller.call_sid).post_status("completed", duration=2)
        again = await rig.call_detail(call.call_id)

    assert response.status_code == 204
    # The post-call analysis runs in the background and may move on between the two reads.
    assert {**again, "analysis": None} == {**stored, "analysis": None}
    assert again["end_reason"] == "caller_hung_up"
    assert len(events_of(again, "call_ended")) == 1


async def test_transfer_asked_on_the_other_worker_transfers_the_call_on_its_owner(
    rig_factory: RigFactory,
) -> None:
    async with (
        rig_factory(behaviour=quick_behaviour(respond_every_ms=100)) as rig,
        run_app(rig.app.settings) as other,
    ):
        require_owners(rig.app, other)
        call = await rig.place_call()  # the bridge, so the agent, runs on rig.app
        await greeting_heard(call.stream)
        response = await other.client.post(
            f"/api/calls/{call.call_id}/transfer", headers=key_headers(rig.key)
        )
        update = await rig.rest.wait_for_update()
        await call.stream.wait_closed()
        stored = await rig.stored(call.call_id)

    assert response.status_code == 202, response.text
    assert response.json() == {"call_id": call.call_id, "transfer": "live"}
    # The owner's agent asked for the hand-off line, then had Twilio dial the escalation phone.
    handoff = [
        event["item"]["content"][0]["text"]
        for event in call.conn.received("conversation.item.create")
        if event["item"].get("role") == "system"
    ]
    assert len(handoff) == 1 and "connecting them with a person now" in handoff[0]
    assert update.call_sid == caller_sid(call) and update.twiml_dial_number() == ESCALATION_PHONE
    assert (stored["status"], stored["end_reason"]) == ("completed", "escalated_transfer")
    assert [e["data"]["transfer"] for e in events_of(stored, "transfer_requested")] == ["live"]
    assert len(events_of(stored, "transferred")) == 1


def caller_sid(call: PhoneCall) -> str:
    return call.stream.call_sid
