"""Webhook dispatch: deliveries/s per worker and commit-to-delivery p50/p99 (SSE fan-out: bench_events).

1. Throughput: N outbox events for one endpoint, one dispatcher (the app's own code, one process,
   one CPU) against a receiver in another process; deliveries per second until all are delivered.
2. Latency: events committed one at a time at a steady rate while a dispatcher waits; the time
   from each commit to its arrival at the receiver, for the in-app dispatcher (woken by the commit)
   and for a separate `python -m app.worker` (which polls every WEBHOOK_POLL_INTERVAL_SECONDS).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import aiohttp
import httpx
from sqlalchemy import func, insert, select

from app.events import outbox
from app.settings import WebhookSettings
from app.webhooks.crypto import box_for
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.signing import new_secret
from bench._support import (
    ROOT,
    ms,
    p50,
    p99,
    parse_args,
    pinned,
    print_table,
    run,
    scratch_database,
    spawn,
    usable_cpu,
)
from database.base import utcnow
from database.engine import create_engine, create_session_factory
from database.models import Organization, WebhookDelivery, WebhookEndpoint
from tests.fixtures.postgres import async_url


def settings(**overrides: Any) -> WebhookSettings:
    return WebhookSettings(
        **{
            "allow_private_targets": True,
            "dispatcher_enabled": False,
            "poll_interval_seconds": 0.5,
            **overrides,
        }
    )


async def seed(factory: Any, receiver_url: str) -> uuid.UUID:
    org_id = uuid.uuid4()
    async with factory() as session, session.begin():
        await session.execute(
            insert(Organization).values(
                id=org_id,
                slug=f"bench-{org_id.hex[:8]}",
                name="Bench",
                timezone="UTC",
                config={},
                config_version=1,
            )
        )
        endpoint_id = uuid.uuid4()
        session.add(
            WebhookEndpoint(
                id=endpoint_id,
                organization_id=org_id,
                url=receiver_url + "/hooks",
                events=["call.ended"],
                include_transcript=False,
                secret_encrypted=box_for(settings()).encrypt(new_secret(), endpoint_id=endpoint_id),
                enabled=True,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return org_id


async def receiver_log(url: str) -> list[tuple[str, float]]:
    async with httpx.AsyncClient() as client:
        return [tuple(item) for item in (await client.get(url + "/log")).json()]  # type: ignore[misc]


async def bare_httpx(receiver_url: str, count: int, concurrency: int) -> float:
    """The ceiling on this machine: plain httpx POSTs to the same receiver, no database at all."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with gate:
                await client.post(
                    receiver_url + "/hooks", content=b'{"type":"x"}', headers={"webhook-id": f"b{n}"}
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


async def bare_aiohttp(receiver_url: str, count: int, concurrency: int) -> float:
    """The same POSTs with aiohttp, the dispatcher's client (chosen over httpx: a tenth of the CPU)."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with (
                gate,
                client.post(
                    receiver_url + "/hooks", data=b'{"type":"x"}', headers={"webhook-id": f"b{n}"}
                ) as r,
            ):
                await r.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


async def throughput(dsn: str, receiver_url: str, count: int) -> tuple[float, float]:
    engine = create_engine(async_url(dsn), pool_size=4)
    factory = create_session_factory(engine)
    org_id = await seed(factory, receiver_url)
    async with factory() as session, session.begin():
        for n in range(count):
            await outbox.enqueue(
                session, org_id=org_id, type_="call.ended", data={"call_id": str(n), "status": "completed"}
            )
    dispatcher = Dispatcher(factory, settings())
    stop = asyncio.Event()
    started = time.perf_counter()
    cpu_before = time.process_time()
    task = asyncio.create_task(dispatcher.run(stop))
    while True:
        await asyncio.sleep(0.05)
        async with factory() as session:
            done = await session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "delivered")
            )
        if done == count:
            break
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    stop.set()
    await task
    await engine.dispose()
    return count / elapsed, cpu / elapsed


async def latency_in_app(dsn: str, receiver_url: str, count: int, rate: float) -> list[float]:
    engine = create_engine(async_url(dsn), pool_size=4)
    factory = create_session_factory(engine)
    org_id = await seed(factory, receiver_url)
    dispatcher = Dispatcher(factory, settings())
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    committed: dict[str, float] = {}
    for _ in range(count):
        async with factory() as session, session.begin():
            event_id = await outbox.enqueue(
                session, org_id=org_id, type_="call.ended", data={"status": "completed"}
            )
        committed[outbox.message_id(event_id)] = time.time()
        await asyncio.sleep(1 / rate)
    await asyncio.sleep(1.0)
    stop.set()
    await task
    await engine.dispose()
    arrivals = dict(await receiver_log(receiver_url))
    return [arrivals[m] - t for m, t in committed.items() if m in arrivals]


async def latency_worker(dsn: str, receiver_url: str, count: int, rate: float) -> list[float]:
    engine = create_engine(async_url(dsn), pool_size=2)
    factory = create_session_factory(engine)
    org_id = await seed(factory, receiver_url)
    env = {
        **os.environ,
        "DATABASE_URL": async_url(dsn),
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_POLL_INTERVAL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "app.worker"], cwd=ROOT, env=env)
    try:
        await asyncio.sleep(2.0)
        committed: dict[str, float] = {}
        for _ in range(count):
            async with factory() as session, session.begin():
                event_id = await outbox.enqueue(session, org_id=org_id, type_="call.ended", data={})
            committed[outbox.message_id(event_id)] = time.time()
            await asyncio.sleep(1 / rate)
        await asyncio.sleep(1.5)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        await engine.dispose()
    arrivals = dict(await receiver_log(receiver_url))
    return [arrivals[m] - t for m, t in committed.items() if m in arrivals]


async def main_async(quick: bool) -> None:
    count = 500 if quick else 3000
    receiver, receiver_url = spawn(
        "receiver",
        ["run", "--cpu", str(usable_cpu(1)), "tests.fakes.webhook_receiver"],
        ready="RECEIVER_URL=",
    )
    try:
        with pinned({usable_cpu(0)}):
            ceiling_httpx = await bare_httpx(receiver_url, count, settings().concurrency)
            ceiling = await bare_aiohttp(receiver_url, count, settings().concurrency)
            async with scratch_database() as dsn:
                rate, cpu = await throughput(dsn, receiver_url, count)
            async with scratch_database() as dsn:
                in_app = await latency_in_app(dsn, receiver_url, 50 if quick else 200, rate=50)
            async with scratch_database() as dsn:
                worker = await latency_worker(dsn, receiver_url, 50 if quick else 200, rate=50)
    finally:
        receiver.stop()
    print_table(
        ["measure", "value"],
        [
            [f"deliveries/s, one worker ({count} events)", f"{rate:.0f}"],
            ["bare aiohttp POSTs/s to the same receiver (ceiling)", f"{ceiling:.0f}"],
            ["bare httpx POSTs/s to the same receiver", f"{ceiling_httpx:.0f}"],
            ["dispatcher / aiohttp ceiling", f"{rate / ceiling:.2f}"],
            ["dispatcher CPU (fraction of one core)", f"{cpu:.2f}"],
            ["commit->delivery p50 ms, in-app (woken)", ms(p50(in_app) * 1000)],
            ["commit->delivery p99 ms, in-app (woken)", ms(p99(in_app) * 1000)],
            ["commit->delivery p50 ms, app.worker (poll 0.1 s)", ms(p50(worker) * 1000)],
            ["commit->delivery p99 ms, app.worker (poll 0.1 s)", ms(p99(worker) * 1000)],
        ],
        title="webhook dispatch (target: >= 500 deliveries/s per worker)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__.splitlines()[0], argv)
    run(main_async(args.quick))


if __name__ == "__main__":
    main()
