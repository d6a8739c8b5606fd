"""The client's address, as rate limits and throttles key on it.

Behind a reverse proxy (deploy/nginx-pasto195.conf) every request comes from the proxy, so keying
on the peer would let one attacker lock out every citizen. When the peer is one of TRUSTED_PROXIES
the client is read from `X-Forwarded-For`: the right-most address there that is not itself a trusted
proxy (each proxy appends the address it saw, so everything left of that is the client's say-so and
may be forged). From any other peer the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from contact_center.core.config import Network
from contact_center.core.http.keys import SETTINGS

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(request: web.Request) -> str:
    """The address of whoever sent `request`: the peer, or the client a trusted proxy forwarded."""
    peer = request.remote or "-"
    proxies = request.app[SETTINGS].trusted_proxy_networks()
    if not proxies or not _trusted(_address(peer), proxies):
        return peer
    hops = ",".join(request.headers.getall("X-Forwarded-For", ())).split(",")
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # not written by one of our proxies: stop believing the header here
        client = str(address)
        if not _trusted(address, proxies):
            break
    return client


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1 (a dual-stack listener)
    return address


def _trusted(address: Address | None, proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)
