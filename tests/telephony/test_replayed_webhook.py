"""A validly signed webhook replayed after its CallSid binding expired: the second call is stored too.

The CallSid is unique in PostgreSQL; the replay's call is stored without it (and says so in its
timeline) instead of failing its finalize for good (issue 7, item 1).
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis
from sqlalchemy import select

from database.models import Call
from tests.telephony.conftest import PhoneRig, events_of


async def test_replayed_voice_webhook_after_binding_expiry_is_stored_without_the_sid(
    rig: PhoneRig, redis_client: Redis
) -> None:
    caller = rig.caller()
    first_id, _ = await rig.answer(caller)
    assert (await caller.post_status("completed")).status_code == 204
    await rig.stored(first_id)
    # The CallSid -> call binding outlives a call by an hour; past that, a replay looks like a new call.
    await redis_client.delete(f"ext:twilio:{caller.call_sid}")

    replay_id, _ = await rig.answer(caller)
    assert replay_id != first_id
    ended = await caller.post_status("completed")

    assert ended.status_code == 204, ended.text
    replay = await rig.stored(replay_id)
    assert events_of(replay, "call_sid_conflict")
    async with rig.app.state.session_factory() as session:
        rows = await session.execute(select(Call.id, Call.twilio_call_sid))
        sids = {call_id: sid for call_id, sid in rows}
    assert sids == {uuid.UUID(first_id): caller.call_sid, uuid.UUID(replay_id): None}
