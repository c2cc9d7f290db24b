"""The SSRF guard at send time: the address actually connected to is checked, every attempt."""

from __future__ import annotations

import ipaddress
import uuid

import httpx
import pytest

from app.events import outbox
from app.webhooks.ssrf import TargetForbidden, guarded_session, is_forbidden, literal_forbidden
from tests.calls.conftest import Org
from tests.conftest import RunningApp
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.webhooks.conftest import dispatcher_for, drain, register


async def test_send_to_a_private_address_is_refused_even_after_registration(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    # Registered while private targets were allowed (or a host that resolved publicly then).
    hook = await register(api, org, receiver.url.replace("127.0.0.1", "localhost"))
    async with hooks_app.state.session_factory() as session, session.begin():
        await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={})
    await drain(dispatcher_for(hooks_app, allow_private_targets=False))
    assert receiver.received == []
    items = (await api.get(f"/api/org/webhooks/{hook['id']}/deliveries", headers=org.headers)).json()["items"]
    [item] = items
    assert {a["error_kind"] for a in item["attempts"]} == {"target_forbidden"}
    assert item["state"] == "failed" and len(item["attempts"]) == 3


async def test_guarded_session_never_connects_to_a_loopback_name(receiver: WebhookReceiver) -> None:
    async with guarded_session(allow_private=False, max_connections=4, timeout_seconds=5) as client:
        with pytest.raises(TargetForbidden):
            await client.post(receiver.url.replace("127.0.0.1", "localhost"), data=b"{}")
    assert receiver.received == []


def test_ip_literal_hosts_are_checked_without_a_resolver() -> None:
    assert literal_forbidden("http://127.0.0.1:9/hooks", allow_private=False)
    assert literal_forbidden("https://[::ffff:10.0.0.1]/hooks", allow_private=False)
    assert not literal_forbidden("https://93.184.215.14/hooks", allow_private=False)
    assert not literal_forbidden("https://localhost/hooks", allow_private=False)  # the resolver's job
    assert not literal_forbidden("http://127.0.0.1:9/hooks", allow_private=True)


async def test_send_to_a_loopback_ip_literal_is_refused(
    hooks_app: RunningApp, api: httpx.AsyncClient, org: Org, receiver: WebhookReceiver
) -> None:
    hook = await register(api, org, receiver.url)
    async with hooks_app.state.session_factory() as session, session.begin():
        await outbox.enqueue(session, org_id=uuid.UUID(org.id), type_="call.ended", data={})
    await drain(dispatcher_for(hooks_app, allow_private_targets=False))
    assert receiver.received == []
    [item] = (await api.get(f"/api/org/webhooks/{hook['id']}/deliveries", headers=org.headers)).json()[
        "items"
    ]
    assert {a["error_kind"] for a in item["attempts"]} == {"target_forbidden"}


async def test_guarded_session_with_private_allowed_reaches_loopback(receiver: WebhookReceiver) -> None:
    async with (
        guarded_session(allow_private=True, max_connections=4, timeout_seconds=5) as client,
        client.post(receiver.url.replace("127.0.0.1", "localhost"), data=b"{}") as response,
    ):
        assert response.status == 200
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["host"].startswith("localhost:")  # Host header kept


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.100.100.200", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00:ec2::254", True),
        ("::ffff:10.0.0.1", True),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_forbidden_ranges(address: str, forbidden: bool) -> None:
    assert is_forbidden(ipaddress.ip_address(address)) is forbidden
