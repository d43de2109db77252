"""An owner creates an API key, copies it once, uses it, and revokes it, in a real Chromium."""

import re

import pytest
import requests
from playwright.sync_api import expect

from reports.models import ApiKey
from tests.browser.test_accessibility import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_copy_once_use_and_revoke(page, live_server, owner, mini_app, make_report):
    report = make_report()
    signed_in(page, owner, live_server)
    page.goto("/console/acme/integration/keys/")
    expect(page.get_by_text("No API keys yet.")).to_be_visible()

    page.get_by_label("Key name").fill("Support bot")
    page.get_by_label(re.compile("^Read")).check()
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("status")).to_contain_text("API key “Support bot” created")
    key = page.get_by_label("New API key").input_value()
    assert key.startswith("rdk_")

    listed = requests.get(
        f"{live_server.url}/api/v1/apps/acme/reports",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert listed.status_code == 200
    assert [r["report_id"] for r in listed.json()["results"]] == [report.report_id]

    page.goto("/console/acme/integration/keys/")  # shown once: gone on the next visit
    expect(page.get_by_label("New API key")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Support bot"))
    expect(row).to_contain_text(ApiKey.objects.get().prefix)
    expect(row.get_by_role("cell").nth(4)).not_to_have_text("Never")  # last used

    row.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("row", name=re.compile("Support bot"))).to_contain_text("Revoked")
    again = requests.get(
        f"{live_server.url}/api/v1/apps/acme/reports",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert again.status_code == 401
