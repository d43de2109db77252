"""The handling API with an API key: list (the console's filters, keyset pages), read, notes,
resolve, dismiss, through the console's services and the same checks as the console."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reports.api_keys.services import api_key_create, api_key_revoke
from reports.models import ApiKey, Category, OutboundEmail, Report, ReportEvent, Status
from reports.services import ReportConflict, report_resolve, reports_mark_past_due
from tests.conftest import on_postgres, run_at_once
from tests.reports.test_reply import deliver_all
from tests.tickets.api_client import api_get

pytestmark = pytest.mark.django_db

LIST = "/api/v1/apps/acme/reports"


@pytest.fixture
def handle_key(mini_app, owner) -> str:
    return api_key_create(mini_app=mini_app, actor=owner, name="Tool", scope="handle")[1]


@pytest.fixture
def read_key(mini_app, owner) -> str:
    return api_key_create(mini_app=mini_app, actor=owner, name="Dashboard", scope="read")[1]


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def get(client, path, key, **params):
    return client.get(path, params, **bearer(key))


def write(client, method, path, key, body=None):
    data = b"" if body is None else json.dumps(body).encode()
    return getattr(client, method)(path, data, content_type="application/json", **bearer(key))


def ids(response) -> list[str]:
    return [r["report_id"] for r in response.json()["results"]]


# --- Credentials, scope, tenant


@pytest.mark.parametrize("header", ["", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer rdk_nope"])
def test_no_or_unknown_key_is_a_json_401(client, mini_app, make_report, header):
    report = make_report()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    for response in (
        client.get(LIST, **extra),
        client.get(f"{LIST}/{report.report_id}", **extra) if header else None,
        client.post(f"{LIST}/{report.report_id}/resolve", **extra),
        client.post(
            f"{LIST}/{report.report_id}/replies", b'{"message": "Hi"}', "application/json", **extra
        ),
        client.patch(f"{LIST}/{report.report_id}", b"{}", "application/json", **extra),
    ):
        if response is None:
            continue
        assert response.status_code == 401, response.content
        assert response.json()["error"] in ("key_missing", "key_invalid")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Report.objects.get().status == Status.PENDING


def test_a_revoked_key_is_a_401_at_once(client, mini_app, owner, make_report):
    api_key, key = api_key_create(mini_app=mini_app, actor=owner, name="Old", scope="handle")
    make_report()
    assert get(client, LIST, key).status_code == 200
    api_key_revoke(api_key=api_key, actor=owner)
    response = get(client, LIST, key)
    assert response.status_code == 401 and response.json()["error"] == "key_invalid"


def test_a_read_key_reads_but_every_write_is_a_json_403(client, read_key, make_report):
    report = make_report()
    assert get(client, LIST, read_key).status_code == 200
    assert get(client, f"{LIST}/{report.report_id}", read_key).status_code == 200
    for method, path, body in (
        ("post", f"{LIST}/{report.report_id}/resolve", {}),
        ("post", f"{LIST}/{report.report_id}/dismiss", {}),
        ("post", f"{LIST}/{report.report_id}/replies", {"message": "Hi"}),
        ("patch", f"{LIST}/{report.report_id}", {"notes": "x"}),
    ):
        response = write(client, method, path, read_key, body)
        assert response.status_code == 403 and response.json()["error"] == "forbidden"
    report.refresh_from_db()
    assert (report.status, report.notes, report.version) == (Status.PENDING, "", 1)
    assert not ReportEvent.objects.filter(kind="replied").exists()


def test_a_key_of_app_a_on_app_b_is_a_json_404(client, other_app, make_report, handle_key):
    theirs = make_report(app=other_app, details="Globex secret")
    for response in (
        get(client, "/api/v1/apps/globex/reports", handle_key),
        get(client, f"/api/v1/apps/globex/reports/{theirs.report_id}", handle_key),
        write(
            client, "post", f"/api/v1/apps/globex/reports/{theirs.report_id}/resolve", handle_key
        ),
        # And another app's report under the key's own app: no such report here.
        get(client, f"{LIST}/{theirs.report_id}", handle_key),
        write(client, "post", f"{LIST}/{theirs.report_id}/dismiss", handle_key),
        write(client, "post", f"{LIST}/{theirs.report_id}/replies", handle_key, {"message": "Hi"}),
        write(
            client,
            "post",
            f"/api/v1/apps/globex/reports/{theirs.report_id}/replies",
            handle_key,
            {"message": "Hi"},
        ),
    ):
        assert response.status_code == 404 and response.json()["error"] == "not_found"
        assert b"Globex secret" not in response.content
    assert Report.objects.get(pk=theirs.pk).status == Status.PENDING
    assert not ReportEvent.objects.filter(kind="replied").exists()


def test_rate_limited_per_key_with_retry_after(client, settings, mini_app, owner, read_key):
    # An hour's window: with a minute's, calls straddling a window's edge can all get through.
    settings.TICKETS_RATE_LIMITS = {"api_key": (2, 3600)}
    other = api_key_create(mini_app=mini_app, actor=owner, name="Other", scope="read")[1]
    assert get(client, LIST, read_key).status_code == 200
    assert get(client, LIST, read_key).status_code == 200
    response = get(client, LIST, read_key)
    assert response.status_code == 429 and response.json()["error"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert get(client, LIST, other).status_code == 200  # each key has its own budget


def test_use_is_recorded_as_last_used(client, read_key):
    api_key = ApiKey.objects.get()
    assert api_key.last_used_at is None
    get(client, LIST, read_key)
    used = ApiKey.objects.get().last_used_at
    assert used is not None and timezone.now() - used < timedelta(seconds=10)
    get(client, LIST, read_key)
    assert ApiKey.objects.get().last_used_at == used  # within the minute: not written again


# --- Reading


def test_the_list_shows_each_report_as_documented(client, read_key, make_report):
    report = make_report(Category.PAYMENT, order_id="ORD-9", open_id="user-7")
    body = get(client, LIST, read_key).json()
    assert body["next"] is None
    assert body["results"] == [
        {
            "report_id": report.report_id,
            "status": "pending",
            "category": "payment",
            "issue_type": "payment.refund",
            "details": "Please refund.",
            "order_id": "ORD-9",
            "open_id": "user-7",
            "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
            "due_at": report.due_at.isoformat().replace("+00:00", "Z"),
            "past_due": False,
            "handled_at": None,
            "version": 1,
        }
    ]


def test_the_list_takes_the_consoles_filters(client, read_key, make_report, owner):
    now = timezone.now()
    old = make_report(details="Old crash", now=now - timedelta(days=5))
    late = make_report(Category.PAYMENT, details="Late refund", now=now - timedelta(days=4))
    reports_mark_past_due()
    done = make_report(details="Solved thing", open_id="user-1")
    report_resolve(report=done, actor=owner)
    fresh = make_report(details="Fresh words here")

    def listed(**params):
        response = get(client, LIST, read_key, **params)
        assert response.status_code == 200, response.content
        return set(ids(response))

    assert listed() == {old.report_id, late.report_id, done.report_id, fresh.report_id}
    assert listed(status="resolved") == {done.report_id}
    assert listed(status="past_due") == {old.report_id, late.report_id}
    assert listed(category="payment") == {late.report_id}
    assert listed(issue_type="payment.refund") == {late.report_id}
    assert listed(past_due="false") == {done.report_id, fresh.report_id}
    assert listed(q="user-1") == {done.report_id}
    assert listed(q=late.report_id) == {late.report_id}
    assert listed(q="Fresh words") == {fresh.report_id}
    cut = (now - timedelta(days=4, hours=12)).isoformat()
    assert listed(created_after=cut) == {late.report_id, done.report_id, fresh.report_id}
    assert listed(created_before=cut) == {old.report_id}
    # Any offset ISO 8601 allows, even those PostgreSQL does not (beyond ±15:59): as UTC.
    assert listed(created_after="5715-04-20T19:29:26-16:48") == set()
    far_east = (now - timedelta(days=4, hours=12)).astimezone(
        timezone.get_fixed_timezone(23 * 60 + 59)
    )
    assert listed(created_before=far_east.isoformat()) == {old.report_id}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "open"}, "status"),
        ({"category": "nope"}, "category"),
        ({"issue_type": "payment.nope"}, "issue_type"),
        ({"past_due": "maybe"}, "past_due"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "0001-01-01T00:00:00+01:00"}, "created_before"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"after": "NOSUCHID22"}, "after"),
        ({"after": "a\x00"}, "after"),
    ],
)
def test_an_invalid_filter_is_a_400_naming_it(client, read_key, make_report, params, field):
    make_report()
    response = get(client, LIST, read_key, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "validation_failed" and field in body["fields"]


def test_keyset_pages_walk_the_whole_list_once(client, read_key, make_report, owner):
    now = timezone.now()
    made = [make_report(details=f"Report {i}", now=now - timedelta(minutes=i)) for i in range(7)]
    report_resolve(report=made[3], actor=owner)
    seen, url, pages = [], f"{LIST}?limit=3", 0
    while url:
        response = client.get(url, **bearer(read_key))
        assert response.status_code == 200, response.content
        seen += ids(response)
        url = response.json()["next"]
        pages += 1
    assert pages == 3
    assert seen == [r.report_id for r in made]  # newest first, none twice, none missed
    # The filters ride along in the next URL.
    first = get(client, LIST, read_key, status="pending", limit=2).json()
    assert "status=pending" in first["next"] and first["next"].startswith("http")
    second = client.get(first["next"], **bearer(read_key)).json()
    pending = [r.report_id for r in made if r is not made[3]]
    assert ids_of(first) + ids_of(second) == pending[:4]


def ids_of(body: dict) -> list[str]:
    return [r["report_id"] for r in body["results"]]


def test_one_report_with_notes_screenshots_and_history(
    client, handle_key, make_report, screenshot, owner
):
    report = make_report(screenshots=[screenshot])
    report_resolve(report=report, actor=owner, notes="Fixed in 2.1")
    response = get(client, f"{LIST}/{report.report_id.lower()}", handle_key)
    assert response.status_code == 200
    body = response.json()
    assert body["notes"] == "Fixed in 2.1" and body["status"] == "resolved"
    assert body["version"] == 2
    assert [(e["kind"], e["actor"]) for e in body["history"]] == [
        ("submitted", None),
        ("notes_edited", "owner@acme.example"),
        ("resolved", "owner@acme.example"),
    ]
    (shot,) = body["screenshots"]
    assert (shot["content_type"], shot["width"]) == ("image/png", screenshot.width)
    # The link is the credential: no key needed, and it serves the image.
    image = client.get(shot["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    stored = report.screenshots.get()
    assert b"".join(image.streaming_content) == stored.image.read()
    thumb = client.get(shot["thumbnail_url"])
    assert thumb.status_code == 200
    assert b"".join(thumb.streaming_content) == stored.thumbnail.read()


def test_a_screenshot_link_expires_and_cannot_be_bent(
    client, handle_key, make_report, screenshot, settings, monkeypatch
):
    report = make_report(screenshots=[screenshot])
    other = make_report(screenshots=[screenshot])
    shot = get(client, f"{LIST}/{report.report_id}", handle_key).json()["screenshots"][0]
    other_id = other.screenshots.get().pk
    forged = shot["url"].replace(f"/screenshots/{shot['id']}", f"/screenshots/{other_id}")
    assert client.get(forged).status_code == 404
    assert client.get(shot["url"].split("?")[0]).status_code == 404
    assert client.get(shot["url"] + "x").status_code == 404
    import time as time_module

    real = time_module.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: real + 301)
    response = client.get(shot["url"])
    assert response.status_code == 404 and "expired" in response.json()["message"]


def test_a_signed_read_that_also_carries_other_authorization_stays_signed(
    client, mini_app, make_report
):
    from tests.tickets.api_client import signed_headers

    report = make_report()
    headers = signed_headers(mini_app.signing_secret, b"")
    response = client.get(
        f"{LIST}/{report.report_id}", HTTP_AUTHORIZATION="Basic cHJveHk6cGFzcw==", **headers
    )
    assert response.status_code == 200 and "status_url" in response.json()


def test_the_signed_status_read_is_unchanged_and_never_shows_notes(
    client, mini_app, make_report, owner
):
    report = make_report()
    report_resolve(report=report, actor=owner, notes="Internal only")
    response = api_get(client, mini_app, report.report_id)
    assert response.status_code == 200
    body = response.json()
    assert (
        "notes" not in body and "history" not in body and b"Internal only" not in response.content
    )
    assert body["status_url"].startswith("http")


# --- Writing


def test_resolve_goes_through_the_service_and_records_the_key(client, handle_key, make_report):
    report = make_report()
    response = write(
        client,
        "post",
        f"{LIST}/{report.report_id}/resolve",
        handle_key,
        {"notes": "Refunded", "version": 1},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["notes"], body["version"]) == ("resolved", "Refunded", 2)
    assert body["history"][-1] == {
        "kind": "resolved",
        "created_at": body["handled_at"],
        "actor": None,
        "api_key": ApiKey.objects.get().prefix,
    }
    event = ReportEvent.objects.get(report=report, kind="resolved")
    assert event.data["api_key_name"] == "Tool" and event.actor is None


def test_a_dismiss_without_a_reason_is_refused_and_changes_nothing(client, handle_key, make_report):
    report = make_report()
    # As `curl -X POST` sends it: no body, no Content-Type. The reporter is told a reason.
    response = client.generic("POST", f"{LIST}/{report.report_id}/dismiss", **bearer(handle_key))
    assert response.status_code == 400, response.content
    for body, field in (
        ({}, "reason"),
        ({"reason": "because"}, "reason"),
        ({"reason": "other"}, "reason_text"),
        ({"reason": "duplicate"}, "duplicate_of"),
    ):
        response = write(client, "post", f"{LIST}/{report.report_id}/dismiss", handle_key, body)
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
    assert Report.objects.get().status == Status.PENDING
    assert not ReportEvent.objects.filter(kind="dismissed").exists()


def test_dismiss_with_a_reason_and_a_reply_tells_the_reporter(client, handle_key, make_report):
    report = make_report(contact_email="reporter@example.net")
    response = write(
        client,
        "post",
        f"{LIST}/{report.report_id}/dismiss",
        handle_key,
        {"reason": "not_this_app", "reply": "This is about another app, sorry."},
    )
    assert response.status_code == 200, response.content
    report = Report.objects.get()
    assert (report.status, report.dismiss_reason) == (Status.DISMISSED, "not_this_app")
    reply = ReportEvent.objects.get(report=report, kind="replied")
    assert reply.data["text"] == "This is about another app, sorry."
    assert reply.data["api_key_name"] == "Tool"


@pytest.mark.parametrize(
    "duplicate_of, message",
    [
        ("2222222222", "2222222222 is not a report of this mini app."),
        ("globex", "GLOBEX is not a report of this mini app."),
        ("self", "A report cannot be a duplicate of itself."),
        ("theirs", "is not a report of this mini app."),
    ],
)
def test_an_invalid_duplicate_of_is_a_422_naming_the_field_and_changes_nothing(
    client, handle_key, make_report, other_app, duplicate_of, message
):
    report = make_report(contact_email="reporter@example.net")
    theirs = make_report(app=other_app)
    duplicate_of = {"self": report.report_id, "theirs": theirs.report_id}.get(
        duplicate_of, duplicate_of
    )
    response = write(
        client,
        "post",
        f"{LIST}/{report.report_id}/dismiss",
        handle_key,
        {"reason": "duplicate", "duplicate_of": duplicate_of, "reply": "Same as before."},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_failed"
    [problem] = body["fields"]["duplicate_of"]
    assert message in problem
    report.refresh_from_db()
    assert (report.status, report.version, report.duplicate_of) == (Status.PENDING, 1, "")
    assert (
        not ReportEvent.objects.filter(report=report)
        .exclude(kind=ReportEvent.Kind.SUBMITTED)
        .exists()
    )
    assert not OutboundEmail.objects.exists()


def test_a_duplicate_of_a_report_of_the_same_app_dismisses(client, handle_key, make_report):
    first, report = make_report(), make_report()
    response = write(
        client,
        "post",
        f"{LIST}/{report.report_id}/dismiss",
        handle_key,
        {"reason": "duplicate", "duplicate_of": first.report_id.lower()},
    )
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert (report.status, report.duplicate_of) == (Status.DISMISSED, first.report_id)


# --- Replies


def reply(client, report, key, body):
    return write(client, "post", f"{LIST}/{report.report_id}/replies", key, body)


def test_a_reply_goes_through_the_service_emails_the_reporter_and_moves_the_version(
    client, handle_key, make_report
):
    report = make_report(contact_email="ana@example.net", reporter_language="en")
    response = reply(client, report, handle_key, {"message": "  Which app version?\r\n"})
    assert response.status_code == 201, response.content
    body = response.json()
    event = ReportEvent.objects.get(report=report, kind="replied")
    prefix = ApiKey.objects.get().prefix
    assert body == {
        "id": event.pk,
        "report_id": report.report_id,
        "message": "Which app version?",
        "created_at": body["created_at"],
        "actor": None,
        "api_key": prefix,
        "version": 2,
    }
    assert event.data == {"text": "Which app version?", "api_key": prefix, "api_key_name": "Tool"}
    assert event.actor is None and event.is_public
    [email] = deliver_all()
    assert email.to == ["ana@example.net"] and "Which app version?" in email.body
    # The history shows it; the version the reply answered is the one to write with.
    detail = get(client, f"{LIST}/{report.report_id}", handle_key).json()
    assert detail["history"][-1]["kind"] == "replied" and detail["version"] == 2
    stale = write(client, "post", f"{LIST}/{report.report_id}/resolve", handle_key, {"version": 1})
    assert stale.status_code == 409 and stale.json()["report"]["version"] == 2
    fresh = write(client, "post", f"{LIST}/{report.report_id}/resolve", handle_key, {"version": 2})
    assert fresh.status_code == 200, fresh.content


def test_a_handled_report_can_still_be_replied_to(client, handle_key, make_report, owner):
    report = report_resolve(report=make_report(), actor=owner)
    response = reply(client, report, handle_key, {"message": "A follow-up."})
    assert response.status_code == 201, response.content
    assert response.json()["version"] == report.version + 1
    assert Report.objects.get().status == Status.RESOLVED


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "Write the reply before sending it."),
        ({"message": ""}, "Write the reply before sending it."),
        ({"message": " \n\t "}, "Write the reply before sending it."),
        ({"message": None}, "Write the reply before sending it."),
        ({"message": "x" * 5001}, "A reply can be at most 5,000 characters (you wrote 5,001)."),
        ({"message": 5}, "This must be a string."),
        ({"message": "a\x00b"}, "This is not valid text"),
        ({"message": "lone \ud800"}, "This is not valid text"),
        ({"message": "Hi", "version": 1}, "Unknown field; send only message."),
    ],
)
def test_an_invalid_reply_is_a_400_with_a_human_message_and_nothing_is_kept(
    client, handle_key, make_report, body, message
):
    report = make_report(contact_email="ana@example.net")
    response = reply(client, report, handle_key, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "validation_failed"
    [field] = response.json()["fields"]
    assert message in response.json()["fields"][field][0]
    assert Report.objects.get().version == 1
    assert not ReportEvent.objects.filter(kind="replied").exists()
    assert not OutboundEmail.objects.exists()


def test_a_reply_of_5000_characters_once_trimmed_is_accepted(client, handle_key, make_report):
    report = make_report()
    response = reply(client, report, handle_key, {"message": "x" * 5000 + "\n\n"})
    assert response.status_code == 201, response.content
    assert len(ReportEvent.objects.get(kind="replied").data["text"]) == 5000


def test_a_reply_without_a_json_body_is_a_400(client, handle_key, make_report):
    report = make_report()
    path = f"{LIST}/{report.report_id}/replies"
    response = client.generic("POST", path, **bearer(handle_key))  # curl -X POST, no body
    assert response.status_code == 400, response.content
    response = client.post(
        path, "message=Hi", "application/x-www-form-urlencoded", **bearer(handle_key)
    )
    assert response.status_code == 400, response.content
    assert client.get(path, **bearer(handle_key)).status_code == 405
    assert not ReportEvent.objects.filter(kind="replied").exists()


def test_notes_edit_at_any_time(client, handle_key, make_report, owner):
    report = report_resolve(report=make_report(), actor=owner)
    response = write(
        client,
        "patch",
        f"{LIST}/{report.report_id}",
        handle_key,
        {"notes": "Follow-up sent", "version": report.version},
    )
    assert response.status_code == 200, response.content
    assert Report.objects.get().notes == "Follow-up sent"
    assert ReportEvent.objects.filter(kind="notes_edited", data__api_key__isnull=False).count() == 1


def test_a_stale_version_is_a_409_with_the_current_state(client, handle_key, make_report, owner):
    report = make_report()
    report_resolve(report=report, actor=owner, notes="Done by a person")
    for method, path, body in (
        ("patch", f"{LIST}/{report.report_id}", {"notes": "Mine", "version": 1}),
        ("post", f"{LIST}/{report.report_id}/dismiss", {"version": 1, "reason": "spam"}),
        ("post", f"{LIST}/{report.report_id}/resolve", {}),  # already handled, no version
    ):
        response = write(client, method, path, handle_key, body)
        assert response.status_code == 409, response.content
        answer = response.json()
        assert answer["error"] == "conflict"
        assert answer["report"]["status"] == "resolved"
        assert answer["report"]["notes"] == "Done by a person"
        assert answer["report"]["version"] == 2
    current = Report.objects.get()
    assert (current.status, current.notes, current.version) == ("resolved", "Done by a person", 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "notes"),
        ({"notes": 5}, "notes"),
        ({"notes": "x" * 20_001}, "notes"),
        ({"notes": "a\x00b"}, "notes"),
        ({"notes": "lone \ud800 surrogate"}, "notes"),
        ({"notes": "ok", "version": "1"}, "version"),
        ({"notes": "ok", "version": True}, "version"),
        ({"notes": "ok", "version": 0}, "version"),
        ({"notes": "ok", "reply": "Hello"}, "reply"),
        ({"notes": "ok", "reason": "spam"}, "reason"),
    ],
)
def test_an_invalid_write_is_a_400_and_changes_nothing(
    client, handle_key, make_report, body, field
):
    report = make_report()
    response = write(client, "patch", f"{LIST}/{report.report_id}", handle_key, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Report.objects.get().version == 1


def test_a_write_that_is_not_a_json_object_is_a_400(client, handle_key, make_report):
    report = make_report()
    path = f"{LIST}/{report.report_id}/resolve"
    for data, content_type in (
        (b"[1]", "application/json"),
        (b"{", "application/json"),
        (b"notes=x", "application/x-www-form-urlencoded"),
    ):
        response = client.post(path, data, content_type=content_type, **bearer(handle_key))
        assert response.status_code == 400, response.content
    assert Report.objects.get().status == Status.PENDING


def test_a_reader_of_the_console_sees_who_acted(client, handle_key, make_report, owner):
    report = make_report()
    write(client, "post", f"{LIST}/{report.report_id}/resolve", handle_key, {})
    client.force_login(owner)
    page = client.get(f"/console/acme/reports/{report.report_id}/").content.decode()
    assert "by API key “Tool”" in page


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_key_requests_and_a_person_at_once_one_wins_the_others_get_409(
    mini_app, owner, make_report
):
    from django.test import Client

    report = make_report()
    key = api_key_create(mini_app=mini_app, actor=owner, name="Bot", scope="handle")[1]

    def by_key():
        response = write(
            Client(), "post", f"{LIST}/{report.report_id}/resolve", key, {"version": 1}
        )
        return ("key", response.status_code)

    def by_key_dismissing():
        response = write(
            Client(),
            "post",
            f"{LIST}/{report.report_id}/dismiss",
            key,
            {"version": 1, "reason": "spam"},
        )
        return ("key dismissing", response.status_code)

    def by_person():
        try:
            report_resolve(report=report, actor=owner, expected_version=1)
            return ("person", 200)
        except ReportConflict:
            return ("person", 409)

    results, errors = run_at_once(by_key, by_key_dismissing, by_person)
    assert errors == []
    assert sorted(code for _, code in results) == [200, 409, 409], results
    current = Report.objects.get()
    assert current.version == 2 and current.status in ("resolved", "dismissed")
    assert ReportEvent.objects.filter(kind__in=["resolved", "dismissed"]).count() == 1
