"""Hostile values sent to the handling API (an API key): notes, versions, filters, IDs and
keys. Never a 500; a refusal is a JSON error naming the field; an accepted note is stored
exactly as sent; a refused write changes nothing."""

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reports.api_keys.services import api_key_create
from reports.models import Report

from .checks import assert_not_server_error
from .strategies import hostile_settings, hostile_text, json_text

pytestmark = pytest.mark.django_db

LIST = "/api/v1/apps/acme/reports"
FILTERS = ("status", "category", "issue_type", "q", "past_due", "created_after", "created_before")


@pytest.fixture
def keyed(mini_app, make_report):
    key = api_key_create(mini_app=mini_app, actor=None, name="Hostile", scope="handle")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}, make_report()


def _text_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value and len(value) <= 20_000


@hostile_settings
@given(
    notes=st.one_of(json_text, st.integers(), st.none(), st.lists(st.text(max_size=2))),
    version=st.one_of(st.none(), st.integers(-2, 3), st.text(max_size=3), st.booleans()),
)
@example(notes="\x00", version=1)
@example(notes="x" * 20_001, version=None)
def test_notes_edits(client, keyed, fresh_counters, notes, version):
    fresh_counters()
    headers, report = keyed
    before = Report.objects.values_list("version", "notes").get(pk=report.pk)
    body = {"notes": notes} if version is None else {"notes": notes, "version": version}
    response = client.patch(
        f"{LIST}/{report.report_id}", json.dumps(body), "application/json", **headers
    )
    assert_not_server_error(response)
    valid_version = version is None or (type(version) is int and version >= 1)
    if isinstance(notes, str) and _text_ok(notes) and valid_version:
        if version in (None, before[0]):
            assert response.status_code == 200, response.content[:300]
            assert Report.objects.get(pk=report.pk).notes == notes
        else:
            assert response.status_code == 409
        return
    assert response.status_code == 400, response.content[:300]
    fields = response.json()["fields"]
    assert ("notes" in fields) or ("version" in fields)
    assert Report.objects.values_list("version", "notes").get(pk=report.pk) == before


@hostile_settings
@given(name=st.sampled_from(FILTERS + ("after", "limit")), value=hostile_text)
@example(name="q", value="\x00")
@example(name="created_after", value="2026-02-30T25:00:00Z")
def test_list_filters(client, keyed, fresh_counters, name, value):
    fresh_counters()
    headers, _ = keyed
    response = client.get(f"{LIST}?{urlencode({name: value})}", **headers)
    assert_not_server_error(response)
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert name in response.json()["fields"]


@hostile_settings
@given(report_id=hostile_text)
@example(report_id="\x00")
def test_hostile_report_ids(client, keyed, fresh_counters, report_id):
    fresh_counters()
    headers, _ = keyed
    report_id = report_id.replace("/", "") or "\x00"
    path = f"{LIST}/{quote(report_id, safe='')}"
    for response in (
        client.get(path, **headers),
        client.post(f"{path}/resolve", b"", "application/json", **headers),
    ):
        assert_not_server_error(response)
        assert response.status_code == 404 and response.json()["error"] == "not_found"


@hostile_settings
@given(key=hostile_text)
@example(key="rdk_\x00\x00\x00\x00\x00\x00\x00\x00")
@example(key="rdk_AAAAAAAA" + "é" * 32)
def test_hostile_keys(client, keyed, fresh_counters, key):
    fresh_counters()
    value = key.encode("utf-8", "surrogatepass").decode("latin-1")  # as a header arrives
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Bearer {value}")
    assert_not_server_error(response)
    assert response.status_code == 401 and response.json()["error"] in (
        "key_missing",
        "key_invalid",
    )
