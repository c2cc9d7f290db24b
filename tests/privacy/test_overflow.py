"""Phone overflow: TwiML per policy, the admission decision under a cap, voicemail storage, usage."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.calls.overflows import require_slot
from app.calls.service import OrgContext
from app.calls.slots import ConcurrencyLimitReached, acquire_slot, keep_slot, slots
from app.orgs.config import OverflowPolicy
from app.settings import CallSettings
from app.telephony import overflow
from app.telephony.recording import answer_overflow
from tests.conftest import RunningApp, SettingsFactory, run_app
from tests.fakes.twilio import FakeTwilioCaller
from tests.privacy.conftest import PUBLIC, TOKEN, Org, new_org, rows


def _verbs(document: str) -> list[ET.Element]:
    return list(ET.fromstring(document))


def test_busy_is_a_lone_reject_so_twilio_does_not_answer() -> None:
    [verb] = _verbs(overflow.busy())
    assert verb.tag == "Reject" and verb.attrib == {"reason": "busy"}


def test_voicemail_greets_prompts_and_records_with_a_status_callback() -> None:
    document = overflow.overflow_twiml(
        OverflowPolicy.voicemail,
        escalation_phone=None,
        greeting="Thanks for calling Bright Smiles.",
        language="en-US",
        base_url=PUBLIC + "/",
        dial_timeout=25,
    )
    say, prompt, record, *_ = _verbs(document)
    assert say.tag == prompt.tag == "Say"
    assert say.text is not None and say.text.startswith("Thanks for calling Bright Smiles.")
    assert record.tag == "Record"
    assert record.attrib["recordingStatusCallback"] == PUBLIC + "/twilio/recording-status"
    assert record.attrib["action"] == PUBLIC + "/twilio/voicemail-done"
    assert "debug" not in document.lower() and "limit" not in document.lower()


def test_forward_dials_the_escalation_phone() -> None:
    document = overflow.overflow_twiml(
        OverflowPolicy.forward_to_escalation,
        escalation_phone="+15555550100",
        greeting="Hi.",
        language="en-US",
        base_url=PUBLIC,
        dial_timeout=20,
    )
    say, dial = _verbs(document)
    assert say.text == overflow.CONNECTING_TO_STAFF
    assert dial.tag == "Dial" and dial.attrib["timeout"] == "20"
    assert dial.attrib["action"] == PUBLIC + "/twilio/overflow-dial"
    assert [n.text for n in dial] == ["+15555550100"]


async def _org_context(client: httpx.AsyncClient, org: Org) -> OrgContext:
    body = (await client.get(f"/api/org/config/{org.id}", headers=org.headers)).json()
    return OrgContext.build(uuid.UUID(org.id), "Org", body["config"], body["config_version"])


async def _webhook_decision(papp: RunningApp, org: OrgContext, call_sid: str) -> str | None:
    """What the voice webhook does before answering: a slot, or the overflow TwiML (None = connect)."""
    state = papp.state
    call_id = uuid.uuid4()
    admission = await acquire_slot(
        state, org_id=org.org_id, call_id=call_id, max_concurrent_calls=org.config.limits.max_concurrent_calls
    )
    if admission.granted:
        return None
    async with state.session_factory() as session:
        return await answer_overflow(
            session,
            state=state,
            org=org,
            call_id=call_id,
            call_sid=call_sid,
            from_number="+15551230001",
            refused_by=admission.refused_by,
        )


async def test_cap_of_two_connects_two_of_five_callers_and_voicemails_three(
    papp: RunningApp, pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, limits={"max_concurrent_calls": 2, "overflow_policy": "voicemail"})
    context = await _org_context(pclient, org)
    sids = [f"CA{uuid.uuid4().hex}" for _ in range(5)]
    answers = await asyncio.gather(*(_webhook_decision(papp, context, sid) for sid in sids))
    assert answers.count(None) == 2
    overflowed = [a for a in answers if a is not None]
    assert len(overflowed) == 3 and all("<Record " in a for a in overflowed)
    stored = await rows(clean_db, "SELECT status, channel FROM calls WHERE organization_id = :o", o=org.id)
    assert sorted(stored) == [("voicemail", "phone")] * 3
    counted = await rows(clean_db, "SELECT outcome FROM call_overflows WHERE organization_id = :o", o=org.id)
    assert [c[0] for c in counted] == ["voicemail"] * 3
    usage = (await pclient.get("/api/org/usage", headers=org.headers)).json()
    assert usage["live_calls"] == 2
    assert usage["max_concurrent_calls"] == 2
    assert usage["overflowed_this_month"] == 3
    assert usage["calls_today"] == 3  # the stored voicemails; the two live ones are stored when they end


async def test_busy_policy_stores_no_call_but_counts_the_overflow(
    papp: RunningApp, pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, limits={"max_concurrent_calls": 1, "overflow_policy": "busy"})
    context = await _org_context(pclient, org)
    assert await _webhook_decision(papp, context, "CA" + "1" * 32) is None
    answer = await _webhook_decision(papp, context, "CA" + "2" * 32)
    assert answer is not None and "<Reject" in answer
    assert await rows(clean_db, "SELECT id FROM calls WHERE organization_id = :o", o=org.id) == []
    assert (
        len(await rows(clean_db, "SELECT id FROM call_overflows WHERE organization_id = :o", o=org.id)) == 1
    )


async def test_browser_start_over_the_cap_is_429_with_retry_after_and_counted(
    papp: RunningApp, pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, limits={"max_concurrent_calls": 1})
    context = await _org_context(pclient, org)
    await require_slot(papp.state, org_id=context.org_id, call_id="first", max_concurrent_calls=1)
    with pytest.raises(ConcurrencyLimitReached) as refused:
        await require_slot(papp.state, org_id=context.org_id, call_id="second", max_concurrent_calls=1)
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "30"}
    counted = await rows(
        clean_db, "SELECT channel, outcome FROM call_overflows WHERE organization_id = :o", o=org.id
    )
    assert counted == [("browser", "rejected")]


def _caller(papp: RunningApp, call_sid: str) -> FakeTwilioCaller:
    return FakeTwilioCaller(
        app_base_url=papp.server.http_url,
        public_base_url=PUBLIC,
        auth_token=TOKEN,
        call_sid=call_sid,
        to_number="+15557650002",
    )


async def test_recording_status_stores_the_url_on_the_voicemail_call(
    papp: RunningApp, pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, limits={"max_concurrent_calls": 1, "overflow_policy": "voicemail"})
    context = await _org_context(pclient, org)
    sid = "CA" + uuid.uuid4().hex
    await _webhook_decision(papp, context, "CA" + uuid.uuid4().hex)
    assert await _webhook_decision(papp, context, sid) is not None
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE123"
    params = {"CallSid": sid, "RecordingSid": "RE123", "RecordingUrl": url, "RecordingStatus": "completed"}
    response = await _caller(papp, sid)._post("/twilio/recording-status", params, None)
    assert response.status_code == 204
    [(status, recording, ended)] = await rows(
        clean_db, "SELECT status, recording_url, ended_at FROM calls WHERE twilio_call_sid = :s", s=sid
    )
    assert (status, recording) == ("voicemail", url) and ended is not None


async def test_unsigned_recording_status_is_refused(papp: RunningApp, clean_db: AsyncEngine) -> None:
    params = {"CallSid": "CA1", "RecordingUrl": "https://example.test/r", "RecordingStatus": "completed"}
    response = await _caller(papp, "CA1")._post("/twilio/recording-status", params, "bad-signature")
    assert response.status_code == 403


async def test_voicemail_done_thanks_and_hangs_up(papp: RunningApp) -> None:
    params = {"CallSid": "CA1", "RecordingUrl": "https://example.test/r"}
    response = await _caller(papp, "CA1")._post("/twilio/voicemail-done", params, None)
    assert response.status_code == 200
    verbs = _verbs(response.text)
    assert [v.tag for v in verbs] == ["Say", "Hangup"]
    assert verbs[0].text == overflow.MESSAGE_TAKEN


async def test_keep_slot_renews_until_cancelled_then_the_slot_expires(
    services: None, make_settings: SettingsFactory
) -> None:
    settings = make_settings(calls=CallSettings(sweeper_enabled=False, slot_lease_seconds=0.3))
    async with run_app(settings) as running:
        org_id = uuid.uuid4()
        state = running.state
        assert (await acquire_slot(state, org_id=org_id, call_id="kept", max_concurrent_calls=1)).granted
        keeper = asyncio.create_task(keep_slot(state, org_id=org_id, call_id="kept"))
        await asyncio.sleep(0.8)
        assert await slots(state).count(str(org_id)) == 1
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        await asyncio.sleep(0.4)
        assert await slots(state).count(str(org_id)) == 0


async def test_retried_voicemail_webhooks_store_one_call(
    papp: RunningApp, pclient: httpx.AsyncClient, clean_db: AsyncEngine
) -> None:
    org = await new_org(pclient, limits={"max_concurrent_calls": 1, "overflow_policy": "voicemail"})
    context = await _org_context(pclient, org)
    await _webhook_decision(papp, context, "CA" + uuid.uuid4().hex)
    sid, call_id = "CA" + uuid.uuid4().hex, uuid.uuid4()

    async def answer() -> str:
        async with papp.state.session_factory() as session:
            return await answer_overflow(
                session,
                state=papp.state,
                org=context,
                call_id=call_id,
                call_sid=sid,
                from_number=None,
                refused_by="org",
            )

    documents = await asyncio.gather(answer(), answer())
    assert all("<Record " in d for d in documents)
    assert len(await rows(clean_db, "SELECT id FROM calls WHERE twilio_call_sid = :s", s=sid)) == 1
