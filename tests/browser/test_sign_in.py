import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_developer_signs_in_and_lands_on_their_reports(page, owner, make_report):
    report = make_report()
    page.goto("/console/")
    page.get_by_label("E-mail or username").fill(owner.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="User reports")).to_be_visible()
    expect(page.get_by_role("cell", name=report.report_id, exact=True)).to_be_visible()


def test_wrong_password_says_so(page, owner):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail or username").fill(owner.username)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
