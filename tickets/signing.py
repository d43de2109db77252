"""HMAC signatures made with a mini app's secret: Open ID links and API requests.

Open ID links: sig = hex HMAC-SHA256(secret, "<open_id>.<ts>"), fresh for 24 hours.
API requests: signature = hex HMAC-SHA256(secret, "<ts>." + raw body), within 5 minutes.
"""

import hashlib
import hmac
import re
import time

OPEN_ID_MAX_AGE = 24 * 3600
API_MAX_SKEW = 5 * 60
OPEN_ID_MAX_LENGTH = 128
# Unix seconds as ASCII digits, at most 12 of them (good until the year 33658). int() alone
# takes "+1", " 1", "1_0" and Arabic-Indic digits, and a 400-digit value overflows the float
# comparison with time.time().
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def unix_seconds(value: str | None) -> int | None:
    """A client's timestamp as an int, or None when it is not plain Unix seconds."""
    if not isinstance(value, str) or not UNIX_SECONDS.fullmatch(value):
        return None
    return int(value)


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def open_id_signature(*, secret: str, open_id: str, ts: int | str) -> str:
    return _hex_hmac(secret, f"{open_id}.{ts}".encode())


def open_id_verify(
    *, secret: str, open_id: str, ts: str, sig: str, now: float | None = None
) -> str:
    """The Open ID if the link is genuine and fresh, else "" (the report files without one)."""
    if not open_id or not ts or not sig or len(open_id) > OPEN_ID_MAX_LENGTH:
        return ""
    if "\x00" in open_id:  # PostgreSQL cannot store a NUL in text: not an Open ID we can keep
        return ""
    issued = unix_seconds(ts)
    if issued is None:
        return ""
    now = time.time() if now is None else now
    # A link from the future is as suspicious as a stale one (allow a little clock skew).
    if not (now - OPEN_ID_MAX_AGE <= issued <= now + API_MAX_SKEW):
        return ""
    expected = open_id_signature(secret=secret, open_id=open_id, ts=ts)
    # Bytes: compare_digest refuses str with non-ASCII characters (a link is user input).
    if not hmac.compare_digest(expected.encode(), sig.lower().encode()):
        return ""
    return open_id


def api_signer(*, secret: str, ts: int | str):
    """An incremental HMAC over "<ts>." + body, fed chunk by chunk as the body streams in."""
    return hmac.new(secret.encode(), f"{ts}.".encode(), hashlib.sha256)


def api_signature(*, secret: str, ts: int | str, body: bytes) -> str:
    signer = api_signer(secret=secret, ts=ts)
    signer.update(body)
    return signer.hexdigest()


def api_timestamp_fresh(*, ts: str, now: float | None = None) -> bool:
    sent = unix_seconds(ts)
    if sent is None:
        return False
    now = time.time() if now is None else now
    return abs(now - sent) <= API_MAX_SKEW
