"""HMAC signatures made with a mini app's secret: Open ID links and API requests.

Open ID links: sig = hex HMAC-SHA256(secret, "<open_id>.<ts>"), fresh for 24 hours.
API requests: signature = hex HMAC-SHA256(secret, "<ts>." + raw body), within 5 minutes.

Every signature is checked by signature_matches, against the secrets secrets_accepted says
the app accepts now: its current secret and, for SECRET_GRACE after a rotation, the previous
one. Here, not in tickets, because the console signs links with it too (the Integration page).
"""

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.utils import timezone

from .models import MiniApp

OPEN_ID_MAX_AGE = 24 * 3600
# How long a rotated-out secret still signs links and API calls: the mini app's servers
# have a day to switch to the new one without a failed request.
SECRET_GRACE_HOURS = 24
SECRET_GRACE = timedelta(hours=SECRET_GRACE_HOURS)
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


def secrets_accepted(*, mini_app: MiniApp, now: datetime | None = None) -> list[str]:
    """The secrets a signature may be made with now: the current one, and the previous one
    until SECRET_GRACE after the rotation that replaced it."""
    accepted = [mini_app.signing_secret]
    if previous_secret_valid_until(mini_app=mini_app, now=now):
        accepted.append(mini_app.previous_signing_secret)
    return accepted


def previous_secret_valid_until(
    *, mini_app: MiniApp, now: datetime | None = None
) -> datetime | None:
    """When the app's previous secret stops working; None when it no longer does."""
    return grace_until(
        previous=mini_app.previous_signing_secret,
        rotated_at=mini_app.signing_secret_rotated_at,
        now=now,
    )


def grace_until(
    *, previous: str, rotated_at: datetime | None, now: datetime | None = None
) -> datetime | None:
    """Until when a secret replaced at `rotated_at` still works, the app's as a webhook
    endpoint's; None when it no longer does (none replaced, or its grace is over). The grace
    rule lives only here."""
    if not previous or rotated_at is None:
        return None
    until = rotated_at + SECRET_GRACE
    return until if until > (now or timezone.now()) else None


def signature_matches(
    *, mini_app: MiniApp, sig: str, sign: Callable[[str], str], now: datetime | None = None
) -> bool:
    """Whether sig is sign(secret) for a secret the app accepts now: every signature check.

    Each accepted secret is compared (no early exit), so the answer's timing does not tell
    which secret matched.
    """
    # Bytes: compare_digest refuses str with non-ASCII characters (a signature is user input).
    given = sig.lower().encode()
    matched = False
    for secret in secrets_accepted(mini_app=mini_app, now=now):
        matched |= hmac.compare_digest(sign(secret).encode(), given)
    return matched


def open_id_verify(
    *, mini_app: MiniApp, open_id: str, ts: str, sig: str, now: float | None = None
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
    if not signature_matches(
        mini_app=mini_app,
        sig=sig,
        sign=lambda secret: open_id_signature(secret=secret, open_id=open_id, ts=ts),
        now=datetime.fromtimestamp(now, UTC),
    ):
        return ""
    return open_id


def open_id_link_query(*, mini_app: MiniApp, open_id: str, now: float | None = None) -> str:
    """The query string of a signed Open ID link, made with the app's current secret."""
    ts = int(time.time() if now is None else now)
    sig = open_id_signature(secret=mini_app.signing_secret, open_id=open_id, ts=ts)
    return urlencode({"open_id": open_id, "ts": ts, "sig": sig})


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
