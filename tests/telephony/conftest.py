"""A phone rig: the real app on loopback with the fake Realtime server, the fake Twilio REST API, an org
with a number, and fake Twilio callers. Everything talks over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.factory import create_app
from app.settings import CallSettings, OpenAISettings, TwilioSettings
from simulator.realtime import AudioReply, Behaviour, FakeConnection, FakeRealtime
from tests.conftest import RunningApp, SettingsFactory
from tests.fakes.server import APP_WS, LoopbackServer
from tests.fakes.twilio import (
    DEFAULT_ACCOUNT_SID,
    FakeTwilioCaller,
    FakeTwilioRest,
    MediaStream,
    parse_stream_twiml,
)
from tests.fixtures.factories import admin_headers, create_org_with_key, key_headers

TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC = "https://callintake.example.test"
NUMBER = "+15557650002"
ESCALATION_PHONE = "+15555550100"
ALWAYS_OPEN = {day: [{"open": "00:00", "close": "24:00"}] for day in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
)}  # fmt: skip
ALWAYS_CLOSED: dict[str, list[Any]] = {day: [] for day in ALWAYS_OPEN}
GREETING = AudioReply("Thanks for calling Bright Smiles, how can I help?", 300)


def quick_behaviour(**overrides: Any) -> Behaviour:
    """Short greeting and replies so tests that wait for playback stay fast."""
    values: dict[str, Any] = {"greeting": GREETING, "reply_audio_ms": 300}
    values.update(overrides)
    return Behaviour(**values)


@dataclass
class PhoneCall:
    call_id: str
    twiml: str
    stream: MediaStream
    conn: FakeConnection


@dataclass
class PhoneRig:
    app: RunningApp
    fake: FakeRealtime
    fake_server: LoopbackServer
    rest: FakeTwilioRest
    org_id: str
    key: str
    number: str = NUMBER
    _streams: list[MediaStream] = field(default_factory=list)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.app.client

    def caller(self, *, to_number: str | None = None, **kwargs: Any) -> FakeTwilioCaller:
        return FakeTwilioCaller(
            app_base_url=self.app.server.http_url,
            public_base_url=PUBLIC,
            auth_token=TOKEN,
            to_number=to_number or self.number,
            **kwargs,
        )

    async def add_org(self, number: str, **config: Any) -> tuple[str, str]:
        org_id, key = await create_org_with_key(self.client, **config)
        response = await self.client.post(
            f"/api/admin/orgs/{org_id}/phone-numbers", json={"number": number}, headers=admin_headers()
        )
        assert response.status_code == 201, response.text
        return org_id, key

    async def answer(self, caller: FakeTwilioCaller) -> tuple[str, str]:
        """POST the voice webhook; returns (call_id, TwiML)."""
        response = await caller.post_voice_webhook()
        assert response.status_code == 200, response.text
        return parse_stream_twiml(response.text).parameters["call_id"], response.text

    async def place_call(self, caller: FakeTwilioCaller | None = None, **stream_kwargs: Any) -> PhoneCall:
        """Webhook, then the media stream, then the Realtime connection the app opened for it."""
        caller = caller or self.caller()
        before = len(self.fake.connections)
        call_id, twiml = await self.answer(caller)
        stream = await caller.connect_stream(twiml, **stream_kwargs)
        self._streams.append(stream)
        conn = await self.fake.wait_for_connection(before + 1)
        return PhoneCall(call_id=call_id, twiml=twiml, stream=stream, conn=conn)

    async def call_detail(self, call_id: str, key: str | None = None) -> dict[str, Any]:
        response = await self.client.get(f"/api/calls/{call_id}", headers=key_headers(key or self.key))
        assert response.status_code == 200, response.text
        detail: dict[str, Any] = response.json()
        return detail

    async def stored(self, call_id: str, key: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        """The call once finalized into PostgreSQL."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self.client.get(
                    f"/api/calls/{call_id}", headers=key_headers(key or self.key)
                )
                # Fifty callers polling at once can find the pool busy with fifty finalizes: the API
                # answers 503 database_unavailable ("retry shortly"), and a client retries, as here.
                if response.status_code == 503 and response.json()["error"]["code"] == "database_unavailable":
                    await asyncio.sleep(0.1)
                    continue
                assert response.status_code == 200, response.text
                detail: dict[str, Any] = response.json()
                if not detail["live"]:
                    return detail
                await asyncio.sleep(0.05)

    async def wait_turns(self, call_id: str, count: int, timeout: float = 5.0) -> None:
        """Until the live call holds `count` transcript lines."""
        async with asyncio.timeout(timeout):
            while len((await self.call_detail(call_id))["transcript"]) < count:
                await asyncio.sleep(0.02)

    async def close_streams(self) -> None:
        for stream in self._streams:
            await stream.aclose()


RigFactory = Callable[..., contextlib.AbstractAsyncContextManager[PhoneRig]]


@pytest.fixture
def rig_factory(services: None, make_settings: SettingsFactory) -> RigFactory:
    @contextlib.asynccontextmanager
    async def build(
        *,
        behaviour: Behaviour | None = None,
        calls: CallSettings | None = None,
        auth_token: str | None = TOKEN,
        db_pool_size: int | None = None,
        ws: Any = APP_WS,
        **config: Any,
    ) -> AsyncIterator[PhoneRig]:
        fake = FakeRealtime(api_key="sk-simulator-not-openai", behaviour=behaviour or quick_behaviour())
        rest = FakeTwilioRest(auth_token=TOKEN)
        fake_server, rest_server = LoopbackServer(fake.app), LoopbackServer(rest.app)
        settings = make_settings(
            openai=OpenAISettings(
                api_key=SecretStr("sk-simulator-not-openai"), base_url=fake_server.http_url + "/v1"
            ),
            twilio=TwilioSettings(
                account_sid=DEFAULT_ACCOUNT_SID,
                auth_token=SecretStr(auth_token) if auth_token else None,
                api_base_url=rest_server.http_url,
            ),
            public_base_url=PUBLIC,
            calls=calls or CallSettings(sweeper_enabled=False),
            **({"db_pool_size": db_pool_size} if db_pool_size else {}),
        )
        app_server = LoopbackServer(create_app(settings), ws=ws)
        servers = (fake_server, rest_server, app_server)
        # Started and stopped together: each uvicorn takes a tick or two to stop, and tests are many.
        await asyncio.gather(*(server.start() for server in servers))
        try:
            async with httpx.AsyncClient(base_url=app_server.http_url, timeout=30) as client:
                app = RunningApp(app_server, client, settings)
                values = {"business_hours": ALWAYS_OPEN, **config}
                org_id, key = await create_org_with_key(client, **values)
                response = await client.post(
                    f"/api/admin/orgs/{org_id}/phone-numbers",
                    json={"number": NUMBER},
                    headers=admin_headers(),
                )
                assert response.status_code == 201, response.text
                rig = PhoneRig(app=app, fake=fake, fake_server=fake_server, rest=rest, org_id=org_id, key=key)
                try:
                    yield rig
                finally:
                    await rig.close_streams()
        finally:
            # Together: each uvicorn takes a tick or two to stop. The streams are closed by now, so the
            # app has nothing left that needs the fakes.
            await asyncio.gather(app_server.stop(), fake_server.stop(), rest_server.stop())

    return build


@pytest.fixture
async def rig(rig_factory: RigFactory) -> AsyncIterator[PhoneRig]:
    async with rig_factory() as built:
        yield built


def events_of(detail: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [event for event in detail["events"] if event["type"] == type_]


def transcript_of(detail: dict[str, Any]) -> list[tuple[str, str]]:
    return [(turn["speaker"], turn["text"]) for turn in detail["transcript"]]
