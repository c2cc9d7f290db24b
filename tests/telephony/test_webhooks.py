"""POST /twilio/voice, /twilio/status, /twilio/stream-status, /twilio/dial-action: signatures, routing,
TwiML, after-hours policies, idempotency per CallSid."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.fakes.twilio import parse_stream_twiml
from tests.telephony.conftest import (
    ALWAYS_CLOSED,
    ESCALATION_PHONE,
    NUMBER,
    PUBLIC,
    PhoneRig,
    RigFactory,
    events_of,
)


async def test_voice_webhook_without_signature_is_403_and_creates_no_call(rig: PhoneRig) -> None:
    caller = rig.caller()
    response = await caller.post_voice_webhook(signature="omit")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "twilio_signature_invalid"
    assert await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid) is None
    assert rig.fake.connections == []


async def test_voice_webhook_with_wrong_signature_is_403(rig: PhoneRig) -> None:
    caller = rig.caller()
    response = await caller.post_voice_webhook(signature="bm90IGEgc2lnbmF0dXJl")

    assert response.status_code == 403
    assert await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid) is None


async def test_voice_webhook_signed_for_the_host_url_is_403(rig: PhoneRig) -> None:
    caller = rig.caller()
    # What a validator trusting the Host header would accept: the URL the app itself was reached at.
    host_url = rig.app.server.http_url + "/twilio/voice"
    params = caller._call_params() | {"CallStatus": "ringing"}
    response = await caller.post_voice_webhook(signature=caller.sign(host_url, params))

    assert response.status_code == 403


async def test_voice_webhook_without_auth_token_is_503(rig_factory: RigFactory) -> None:
    async with rig_factory(auth_token=None) as rig:
        response = await rig.caller().post_voice_webhook()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "twilio_not_configured"


async def test_voice_webhook_for_unknown_number_says_not_in_service(rig: PhoneRig) -> None:
    caller = rig.caller(to_number="+15550000000")
    response = await caller.post_voice_webhook()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "not in service" in (root.find("Say").text or "")  # type: ignore[union-attr]
    assert await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid) is None


async def test_voice_webhook_answers_disclosure_then_signed_stream(rig: PhoneRig) -> None:
    caller = rig.caller()
    response = await caller.post_voice_webhook()

    root = ET.fromstring(response.text)
    assert [child.tag for child in root] == ["Say", "Connect"]
    assert root.find("Say").text == "This call is recorded."  # type: ignore[union-attr]
    stream = root.find("Connect/Stream")
    assert stream is not None
    spec = parse_stream_twiml(response.text)
    call_id = spec.parameters["call_id"]
    prefix = f"wss://callintake.example.test/twilio/stream/{call_id}/"
    assert spec.url.startswith(prefix) and "?" not in spec.url
    assert len(spec.url.removeprefix(prefix)) >= 40  # an unguessable token in the path
    assert stream.get("statusCallback") == PUBLIC + "/twilio/stream-status"
    call = await rig.app.state.live_store.get_call(call_id)
    assert call is not None and call.channel == "phone" and call.status == "active"
    assert call.twilio_call_sid == caller.call_sid
    assert call.from_number == caller.from_number


async def test_voice_webhook_from_non_e164_caller_stores_no_number(rig: PhoneRig) -> None:
    caller = rig.caller(from_number="client:anonymous")
    call_id, _ = await rig.answer(caller)

    call = await rig.app.state.live_store.get_call(call_id)
    assert call is not None and call.from_number is None


async def test_voice_webhook_repeated_for_same_call_sid_answers_the_same_call(rig: PhoneRig) -> None:
    caller = rig.caller()
    first_id, first = await rig.answer(caller)
    second_id, second = await rig.answer(caller)

    assert second_id == first_id
    assert parse_stream_twiml(first).url != parse_stream_twiml(second).url  # a fresh single-use token
    assert await rig.app.state.live_store.list_stale(idle_before=1e12, started_before=0) == [first_id]
    await rig.fake.wait_for_connection(1)
    assert len(rig.fake.connections) == 1  # one pre-opened session, not two


async def test_after_hours_forward_policy_dials_escalation_phone_and_stores_call(
    rig_factory: RigFactory,
) -> None:
    async with rig_factory(business_hours=ALWAYS_CLOSED, after_hours_policy="forward_to_escalation") as rig:
        caller = rig.caller()
        response = await caller.post_voice_webhook()
        root = ET.fromstring(response.text)
        call_id = await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid)
        stored = await rig.stored(call_id)

    assert root.find("Connect") is None
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Number") == ESCALATION_PHONE
    assert dial.get("action") == PUBLIC + "/twilio/dial-action"
    assert (stored["channel"], stored["status"], stored["end_reason"]) == (
        "phone",
        "completed",
        "after_hours_forwarded",
    )
    assert stored["escalated"] is True
    assert len(events_of(stored, "forwarded")) == 1
    assert rig.fake.connections == []


async def test_after_hours_take_message_policy_still_connects_the_agent(rig_factory: RigFactory) -> None:
    async with rig_factory(business_hours=ALWAYS_CLOSED, after_hours_policy="take_message") as rig:
        _, twiml = await rig.answer(rig.caller())
        conn = await rig.fake.wait_for_connection()
        update = await conn.wait_for_event("session.update")

    assert parse_stream_twiml(twiml).url.startswith("wss://")
    assert "the office is closed" in update["session"]["instructions"]
    assert "take a message" in update["session"]["instructions"]


async def test_dial_action_after_no_answer_says_fallback_then_hangs_up(rig: PhoneRig) -> None:
    caller = rig.caller()
    caller.voice_path = "/twilio/dial-action"
    response = await caller.post_voice_webhook(extra={"DialCallStatus": "no-answer"})

    root = ET.fromstring(response.text)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "call you back" in (root.findtext("Say") or "")


async def test_dial_action_after_answered_dial_just_hangs_up(rig: PhoneRig) -> None:
    caller = rig.caller()
    caller.voice_path = "/twilio/dial-action"
    response = await caller.post_voice_webhook(extra={"DialCallStatus": "completed"})

    assert [child.tag for child in ET.fromstring(response.text)] == ["Hangup"]


async def test_status_callback_without_signature_is_403(rig: PhoneRig) -> None:
    caller = rig.caller()
    call_id, _ = await rig.answer(caller)
    response = await caller.post_status("completed", signature="omit")

    assert response.status_code == 403
    assert (await rig.call_detail(call_id))["live"] is True


async def test_status_callback_busy_before_any_stream_abandons_the_call(rig: PhoneRig) -> None:
    caller = rig.caller()
    call_id, _ = await rig.answer(caller)
    response = await caller.post_status("busy")
    stored = await rig.stored(call_id)

    assert response.status_code == 204
    assert (stored["status"], stored["end_reason"]) == ("abandoned", "busy")
    conn = await rig.fake.wait_for_connection()
    assert await conn.wait_closed() is not None  # the pre-opened session is given back


async def test_stream_status_callback_is_recorded_as_an_event(rig: PhoneRig) -> None:
    caller = rig.caller()
    call_id, _ = await rig.answer(caller)
    caller.status_path = "/twilio/stream-status"
    response = await caller.post_status("in-progress", extra={"StreamEvent": "stream-started"})

    assert response.status_code == 204
    detail = await rig.call_detail(call_id)
    assert [e["data"]["event"] for e in events_of(detail, "stream_status")] == ["stream-started"]


async def test_unknown_number_routing_uses_the_dialled_number(rig: PhoneRig) -> None:
    other_org, other_key = await rig.add_org("+15557650003")
    call_id, _ = await rig.answer(rig.caller(to_number="+15557650003"))

    assert (await rig.call_detail(call_id, other_key))["channel"] == "phone"
    response = await rig.client.get(f"/api/calls/{call_id}", headers={"Authorization": f"Bearer {rig.key}"})
    assert response.status_code == 404  # not the first org's call
    assert NUMBER != "+15557650003" and other_org != rig.org_id


async def test_voice_webhook_repeated_after_a_forward_dials_again(rig_factory: RigFactory) -> None:
    async with rig_factory(business_hours=ALWAYS_CLOSED, after_hours_policy="forward_to_escalation") as rig:
        caller = rig.caller()
        first = await caller.post_voice_webhook()
        second = await caller.post_voice_webhook()
        call_id = await rig.app.state.live_store.lookup_external_id("twilio", caller.call_sid)
        stored = await rig.stored(call_id)

    assert ET.fromstring(second.text).findtext("Dial/Number") == ESCALATION_PHONE
    assert first.text == second.text
    assert len(events_of(stored, "call_ended")) == 1
