"""The SSRF guard: https only, and never a private, loopback, link-local or metadata address.

The check runs at registration and again inside the connection itself: `GuardedBackend` resolves
the host, refuses forbidden addresses and connects to the address it checked, so a DNS answer that
changes between the check and the connect (rebinding) cannot reach an internal address. TLS still
uses the URL's host name for SNI and certificate checks, and the Host header is untouched.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from app.webhooks.errors import WebhookTargetForbidden, WebhookUrlInvalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services, named even where `is_global` already refuses them.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("100.100.100.200/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)


class TargetForbidden(Exception):
    """Raised from inside a connection attempt: the host resolved only to forbidden addresses."""


def is_forbidden(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _METADATA):
        return True
    return not ip.is_global or ip.is_multicast


def validate_url(url: str, *, allow_private: bool) -> tuple[str, int]:
    """The URL's host and port; WebhookUrlInvalid for anything but a plain https URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlInvalid("the webhook URL cannot be parsed") from exc
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise WebhookUrlInvalid("the webhook URL must use https")
    if not parts.hostname:
        raise WebhookUrlInvalid("the webhook URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlInvalid("the webhook URL may not carry credentials")
    if parts.fragment:
        raise WebhookUrlInvalid("the webhook URL may not have a fragment")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _allowed(addresses: Iterable[IPAddress], allow_private: bool) -> list[IPAddress]:
    return [ip for ip in addresses if allow_private or not is_forbidden(ip)]


async def check_url(url: str, *, allow_private: bool) -> None:
    """Registration check: a valid https URL whose host resolves, and only to public addresses."""
    host, port = validate_url(url, allow_private=allow_private)
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise WebhookUrlInvalid("the webhook URL's host does not resolve") from exc
    if not addresses or len(_allowed(addresses, allow_private)) != len(addresses):
        raise WebhookTargetForbidden()


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to the checked address, all at connect time."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore.AsyncNetworkBackend signature)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve the webhook host: {type(exc).__name__}") from exc
        allowed = _allowed(addresses, self._allow_private)
        if not allowed:
            raise TargetForbidden()
        last: Exception | None = None
        for ip in allowed:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore.AsyncNetworkBackend signature)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetForbidden()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool whose every connection goes through `GuardedBackend`."""

    def __init__(self, *, allow_private: bool, max_connections: int = 100) -> None:
        super().__init__()
        # httpx has no public knob for the network backend, so the pool is rebuilt with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
