"""The SSRF guard: https only, and never a private, loopback, link-local or metadata address.

The check runs at registration and again inside the connection itself: the dispatcher's aiohttp
connector resolves through `GuardedResolver`, which drops forbidden addresses, and dials only the
addresses it returned, so a DNS answer that changes between the check and the connect (rebinding)
cannot reach an internal address. An IP-literal host skips resolvers and is checked by
`literal_forbidden`. TLS still uses the URL's host name for SNI and certificate checks, and the
Host header is untouched.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

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


class GuardedResolver(ThreadedResolver):
    """aiohttp's resolver with the forbidden addresses taken out: the connector dials only what is left.

    aiohttp caches these answers (already filtered) for `DNS_CACHE_SECONDS`, so a send does not
    resolve again, and a rebinding answer can only ever yield addresses that passed the check.
    """

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await super().resolve(host, port, family)
        if self._allow_private:
            return answers
        allowed = [a for a in answers if not is_forbidden(ipaddress.ip_address(a["host"].split("%", 1)[0]))]
        if not allowed:
            raise TargetForbidden()
        return allowed


def literal_forbidden(url: str, *, allow_private: bool) -> bool:
    """An IP-literal host never reaches a resolver (aiohttp dials it as is), so it is checked here."""
    if allow_private:
        return False
    host = urlsplit(url).hostname or ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return is_forbidden(ip)


DNS_CACHE_SECONDS = 10


def guarded_session(
    *, allow_private: bool, max_connections: int, timeout_seconds: float
) -> aiohttp.ClientSession:
    """The dispatcher's HTTP client: pooled keep-alive connections per target, guarded resolution,
    no proxy from the environment, no cookies, a total timeout per request."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        resolver=GuardedResolver(allow_private=allow_private),
        ttl_dns_cache=DNS_CACHE_SECONDS,
        keepalive_timeout=15.0,
        ssl=ssl.create_default_context(),
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=False,
    )
