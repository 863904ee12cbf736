"""A request's client address, and what the portal believes from reverse proxies.

A client can send any X-Forwarded-For and X-Forwarded-Proto it likes; only the proxies named in
TRUSTED_PROXIES (addresses or networks) are believed. A trusted proxy appends the address it
received the request from to X-Forwarded-For, so the client is the right-most entry that is not
itself a trusted proxy: what stands left of it was written by the client and is never read. With
no trusted proxies (the default) the client is the connection's own address, REMOTE_ADDR.

A connection without an IP address (gunicorn on a Unix socket) can only come from this machine,
so it counts as a trusted proxy, as gunicorn counts it (`FORWARDED_ALLOW_IPS`).

The page survey, the comment form and the login lockout all read `client_address`.
"""

import functools
import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger("portal.proxies")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """The IP address `text` holds (an IPv4 address in IPv6 clothing as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted_proxy(address: Address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def from_trusted_proxy(request) -> bool:
    """Whether the connection itself comes from a trusted proxy (or a Unix socket)."""
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    return peer is None or is_trusted_proxy(peer)


def client_address(request) -> str:
    """The address of the client that sent `request`, as the trusted proxies saw it; "" when unknown.

    Also django-axes' AXES_CLIENT_IP_CALLABLE.
    """
    peer_text = request.META.get("REMOTE_ADDR", "")
    peer = parse_address(peer_text)
    if peer is not None and not is_trusted_proxy(peer):
        return str(peer)
    client = str(peer) if peer is not None else ""
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        if not hop.strip():
            continue
        address = parse_address(hop)
        if address is None:  # not written by a proxy: stop at the last hop one wrote
            break
        client = str(address)
        if not is_trusted_proxy(address):
            break
    return client


class TrustedProxyHeadersMiddleware:
    """Drops X-Forwarded-Proto from a request that did not come through a trusted proxy.

    Django believes SECURE_PROXY_SSL_HEADER from whoever sends it; gunicorn believes it only from
    the proxies it trusts, which gunicorn.conf.py sets to TRUSTED_PROXIES. With this first in
    MIDDLEWARE, Django agrees: a client talking to the server directly is on https only if it is.
    """

    warned = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            if "HTTP_X_FORWARDED_PROTO" in request.META:
                self.warn_once(request)
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)

    @classmethod
    def warn_once(cls, request):
        """A proxy on this machine or the local network that nobody named is likely a forgotten setting:
        say so once per process (behind it, https would not be recognised and every page would redirect)."""
        peer = parse_address(request.META.get("REMOTE_ADDR", ""))
        if cls.warned or not (peer.is_loopback or peer.is_private):
            return
        cls.warned = True
        logger.warning(
            "X-Forwarded-Proto from %s ignored: it is not a trusted proxy. "
            "Name the reverse proxy in TRUSTED_PROXIES (e.g. TRUSTED_PROXIES=%s).", peer, peer,
        )
