"""End-of-call persistence: app.calls.finalize.finalize_call for calls of 50, 500 and 5,000 turns, built in
the live store (Redis db 9) and written to a scratch PostgreSQL database, then the same work split into
its building blocks. `python -m bench.bench_persist [--quick]`."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calls import finalize
from app.calls.live_store import RedisLiveStore
from app.calls.repository import CallRepository
from app.calls.service import OrgContext, start_call
from app.settings import Settings
from bench._support import (
    REDIS_URL,
    flush_bench_redis,
    ms,
    p50,
    p90,
    parse_args,
    print_table,
    run,
    scratch_database,
    verdict,
)
from database.engine import create_engine, create_session_factory
from database.models import Organization
from tests.fixtures.factories import example_config
from tests.fixtures.postgres import async_url

TARGET_MS = 50.0
TARGET_TURNS = 500
APPEND_BATCH = 25  # turns per append_turns call while building (the browser sends a few per request)

_CALLER = [
    "hi yes I'm calling because my back tooth has been hurting since last night",
    "it's a sharp pain when I drink anything cold and it keeps me awake",
    "I was wondering if you have anything open later this week maybe Thursday",
    "my name is Dana Reyes and I've been a patient there for about three years",
    "the number to reach me is the one I'm calling from, it's my cell",
    "no swelling that I can tell, but the gum looks a little red around it",
    "I'd prefer the afternoon if possible because I work mornings",
    "do you take Delta Dental, I think my plan changed in January",
    "okay that works for me, thank you so much for fitting me in",
]
_AGENT = [
    "I'm sorry to hear that. Can you tell me when the pain started and how bad it is",
    "Thank you. Is there any swelling in your face or jaw, or any fever",
    "I can note that for the team. Are you an existing patient or is this your first visit",
    "Got it. What is the best number for the office to call you back on",
    "We do accept most Delta Dental plans; the front desk will confirm your coverage",
    "I have you down for a callback about Thursday afternoon. Is there anything else",
    "Thanks, Dana. Someone from the office will call you to confirm the time",
]


def _turn_text(rng: random.Random, speaker: str) -> str:
    """60 to 200 characters of plausible speech, built from the phrase list of the speaker."""
    phrases = _CALLER if speaker == "caller" else _AGENT
    goal = rng.randint(60, 200)
    text_ = rng.choice(phrases)
    while len(text_) < goal:
        text_ += ", " + rng.choice(phrases)
    return text_[:goal].rstrip(", ") + "."


async def _build_call(
    live: RedisLiveStore, org: OrgContext, settings: Settings, turns: int, seed: int
) -> str:
    """A live call as the lifecycle leaves it: meta, turns, a few events and a completed intake."""
    rng = random.Random(seed)
    started_at = datetime.now(UTC) - timedelta(seconds=turns * 6)
    started = await start_call(
        live,
        org=org,
        settings=settings,
        channel="browser",
        from_number="+15555550123",
        caller_name="Dana Reyes",
        metadata={"page": "/contact", "campaign": "spring-checkup"},
        now=started_at,
    )
    key = str(started.call_id)
    await live.add_event(
        key, {"type": "session_minted", "at": started_at.isoformat(), "data": {"model": "gpt"}}
    )
    batch: list[dict[str, Any]] = []
    for i in range(turns):
        speaker = "caller" if i % 2 == 0 else "agent"
        at = (started_at + timedelta(seconds=i * 6)).isoformat()
        batch.append({"speaker": speaker, "text": _turn_text(rng, speaker), "at": at, "seq": None})
        if len(batch) == APPEND_BATCH or i == turns - 1:
            await live.append_turns(key, batch)
            batch = []
    late = (started_at + timedelta(seconds=turns * 6)).isoformat()
    await live.add_event(
        key,
        {
            "type": "detection",
            "at": late,
            "data": {"category": "high_priority", "matched": "pain", "language": "en", "turn_seq": 0},
        },
    )
    await live.set_intake(
        key,
        {
            "data": {"caller_name": "Dana Reyes", "visit_type": "existing"},
            "urgency": "urgent",
            "summary": "Existing patient with tooth pain to cold since last night; wants Thursday afternoon.",
            "completed_at": late,
        },
    )
    await live.update_call(key, urgency="urgent")
    await live.add_event(
        key,
        {"type": "intake_completed", "at": late, "data": {"urgency": "urgent", "fields": ["caller_name"]}},
    )
    await live.add_event(key, {"type": "end_requested", "at": late, "data": {"reason": "caller_done"}})
    return key


async def _split(
    live: RedisLiveStore, session_factory: async_sessionmaker[AsyncSession], key: str
) -> dict[str, float]:
    """finalize_call's steps one by one (lock, snapshot, build_rows, PG transaction, delete, response)."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    lock, token = f"finalize:{key}", uuid.uuid4().hex[:16]
    await live.acquire_lock(lock, token, 30)
    t1 = time.perf_counter()
    snapshot = await live.snapshot(key)
    t2 = time.perf_counter()
    assert snapshot is not None
    rows = finalize.build_rows(snapshot, status="completed", end_reason="caller_done", now=datetime.now(UTC))
    t3 = time.perf_counter()
    async with session_factory() as session, session.begin():
        await CallRepository(session, uuid.UUID(snapshot.meta["org_id"])).insert_finalized(rows)
    t4 = time.perf_counter()
    await live.delete_call(key)
    t5 = time.perf_counter()
    finalize._detail_from_rows(snapshot, rows)
    t6 = time.perf_counter()
    await live.release_lock(lock, token)
    t7 = time.perf_counter()
    times["lock (acquire + release)"] = (t1 - t0 + t7 - t6) * 1000
    times["snapshot (Redis read + decode)"] = (t2 - t1) * 1000
    times["build_rows"] = (t3 - t2) * 1000
    times["PG transaction (insert_finalized)"] = (t4 - t3) * 1000
    times["delete live keys"] = (t5 - t4) * 1000
    times["response (CallDetail from rows)"] = (t6 - t5) * 1000
    times["sum of parts"] = (t7 - t0) * 1000
    return times


async def _create_org(session_factory: async_sessionmaker[AsyncSession]) -> OrgContext:
    config = example_config()
    async with session_factory() as session, session.begin():
        org = Organization(
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            name="Bright Smiles Dental",
            timezone=config["timezone"],
            config=config,
            config_version=1,
        )
        session.add(org)
    return OrgContext.build(org.id, org.name, config, 1)


async def _bench(args: Any) -> None:
    sizes = (50, 500, 5000)
    repeats = 3 if args.quick else 15
    settings = Settings()
    await flush_bench_redis()
    live = RedisLiveStore.from_url(REDIS_URL, ttl_seconds=settings.calls.live_ttl_seconds)
    try:
        async with scratch_database() as dsn:
            engine = create_engine(async_url(dsn), pool_size=settings.db_pool_size)
            try:
                session_factory = create_session_factory(engine)
                org = await _create_org(session_factory)
                await _measure(live, session_factory, org, settings, sizes, repeats)
                async with engine.connect() as conn:
                    rows = (await conn.execute(text("SELECT count(*) FROM call_transcripts"))).scalar()
                print(f"  (call_transcripts held {rows} rows at the end)")
            finally:
                await engine.dispose()
    finally:
        await live.close()
        await flush_bench_redis()


async def _measure(
    live: RedisLiveStore,
    session_factory: async_sessionmaker[AsyncSession],
    org: OrgContext,
    settings: Settings,
    sizes: Sequence[int],
    repeats: int,
) -> None:
    # Warm the pool, prepared statements and code paths before anything is timed.
    for seed in range(3):
        key = await _build_call(live, org, settings, 20, seed)
        await finalize.finalize_call(session_factory, live, call_id=uuid.UUID(key), org_id=org.org_id)
    print(f"finalize_call per call size, {repeats} repeats each (median / p90, ms); Redis {REDIS_URL}")
    end_to_end: dict[int, list[float]] = {}
    parts: dict[int, dict[str, list[float]]] = {}
    for size in sizes:
        end_to_end[size] = []
        parts[size] = {}
        for rep in range(repeats):
            # Alternate which of the two identical calls goes first, so neither order is favoured.
            whole = await _build_call(live, org, settings, size, rep)
            pieces = await _build_call(live, org, settings, size, rep)
            for which in ("whole", "pieces") if rep % 2 == 0 else ("pieces", "whole"):
                if which == "whole":
                    started = time.perf_counter()
                    await finalize.finalize_call(
                        session_factory,
                        live,
                        call_id=uuid.UUID(whole),
                        org_id=org.org_id,
                        end_reason="caller_done",
                    )
                    end_to_end[size].append((time.perf_counter() - started) * 1000)
                else:
                    for name, value in (await _split(live, session_factory, pieces)).items():
                        parts[size].setdefault(name, []).append(value)
    headers = ["step"] + [f"{size} turns" for size in sizes]
    rows: list[list[str]] = [
        ["finalize_call (end to end)"]
        + [f"{ms(p50(end_to_end[s]))} / {ms(p90(end_to_end[s]))}" for s in sizes]
    ]
    for name in parts[sizes[0]]:
        rows.append([f"  {name}"] + [f"{ms(p50(parts[s][name]))} / {ms(p90(parts[s][name]))}" for s in sizes])
    print_table(headers, rows)
    if TARGET_TURNS in end_to_end:
        median = p50(end_to_end[TARGET_TURNS])
        print(
            f"  target: a {TARGET_TURNS}-turn call persists in <= {TARGET_MS:g} ms: "
            f"{verdict(median <= TARGET_MS)} "
            f"(median {ms(median)} ms, p90 {ms(p90(end_to_end[TARGET_TURNS]))} ms)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    run(_bench(args))


if __name__ == "__main__":
    main()
