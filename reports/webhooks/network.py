"""Where a webhook may go, and the one POST that goes there (no server-side request forgery).

Unless settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS (on by default only with DEBUG), an endpoint
must be https and every address its name resolves to must be public: loopback, private,
link-local, multicast, reserved, unspecified and cloud-metadata addresses are refused when the
endpoint is saved and again at each delivery. The delivery resolves the name once, checks every
address, and connects to the checked address itself (the name only goes in the Host header and
TLS's SNI), so a name that resolves differently a moment later (DNS rebinding) changes nothing.
"""

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# Read at most this much of a receiver's answer: only its status counts.
RESPONSE_READ_LIMIT = 64 * 1024
NAT64_NETWORK = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookAddressRefused(ValueError):
    """The URL may not be called; the message says why, for the owner or the delivery log."""


def private_networks_allowed() -> bool:
    return bool(settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS)


def address_refusal(address: IPAddress) -> str:
    """Why a webhook may not go to this address ("" if it may)."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 is judged as itself: mapped, 6to4, and NAT64
        # (a NAT64 gateway translates 64:ff9b::10.0.0.1 to 10.0.0.1 inside its network).
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_NETWORK:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for flag, name in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private network address"),
    ):
        if getattr(address, flag):
            return name
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges...
        return "a non-public address"
    return ""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query


def url_target(url: str) -> Target:
    """The URL's parts; WebhookAddressRefused for a scheme or form a webhook may not use."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookAddressRefused("Enter a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise WebhookAddressRefused("The URL must start with https://.")
    if scheme == "http" and not private_networks_allowed():
        raise WebhookAddressRefused("The URL must use https:// (plain http is not sent).")
    if not parts.hostname:
        raise WebhookAddressRefused("The URL needs a host name.")
    if parts.username or parts.password:
        raise WebhookAddressRefused("Leave user names and passwords out of the URL.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80), path)


def resolve_checked(target: Target) -> list[IPAddress]:
    """Every address the host resolves to, once; WebhookAddressRefused if any may not be
    called (all are checked: which one a connection would use is not ours to choose)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookAddressRefused(f"The host name {target.host} could not be resolved.") from None
    # Scoped IPv6 addresses ("fe80::1%eth0") are checked without their zone.
    found = (ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos)
    addresses = list(dict.fromkeys(found))
    if not private_networks_allowed():
        for address in addresses:
            refusal = address_refusal(address)
            if refusal:
                # The address stays in our log: an internal one is not the tenant's to learn.
                logger.warning("Webhook to %s refused: %s is %s", target.host, address, refusal)
                raise WebhookAddressRefused(
                    f"{target.host} resolves to {refusal}: webhooks go to public addresses only."
                )
    return addresses


def url_check(url: str) -> None:
    """The check when an endpoint is saved (WebhookAddressRefused with the owner's message)."""
    target = url_target(url)
    if not private_networks_allowed():
        resolve_checked(target)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; Host stays the URL's name."""

    def __init__(self, host, port, *, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address; the certificate is verified for the URL's name (SNI)."""

    def __init__(self, host, port, *, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = str(address)

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST once: no redirect followed (a 3xx is an answer like any other), at most
    RESPONSE_READ_LIMIT bytes read. Raises WebhookAddressRefused, OSError (timeouts too) or
    http.client.HTTPException."""
    target = url_target(url)
    addresses = resolve_checked(target)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = connection_class(target.host, target.port, address=address, timeout=remaining)
        try:
            connection.connect()
        except OSError as error:
            last_error = error
            connection.close()
            continue
        # The socket's timeout bounds each read, not their sum: a receiver dripping its
        # answer a byte at a time would hold the worker far past the deadline. At the deadline
        # the watchdog shuts the socket, which ends a read in progress.
        watchdog = threading.Timer(deadline - time.monotonic(), _shut, args=[connection])
        watchdog.start()
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read(RESPONSE_READ_LIMIT)
            if time.monotonic() > deadline:
                raise TimeoutError("timed out")
            return Answer(response.status, content)
        except (OSError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline:
                raise TimeoutError("timed out") from error
            raise
        finally:
            watchdog.cancel()
            connection.close()
    raise last_error or TimeoutError("timed out")


def _shut(connection: http.client.HTTPConnection) -> None:
    try:
        if connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed
