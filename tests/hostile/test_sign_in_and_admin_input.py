"""Hostile values sent to the sign-in forms (console and admin) and to every admin changelist's
search, sort, page and filter parameters. Never a 500; a refused sign-in says why on the page."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import example, given
from hypothesis import strategies as st

from tests.conftest import counters_clear

from .checks import assert_errors_shown, assert_not_server_error, body
from .strategies import few_examples, hostile_field, hostile_settings, hostile_text

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser(
        username="root@reportdesk.example", email="root@reportdesk.example", password=PASSWORD
    )


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@hostile_settings
@given(
    username=st.one_of(hostile_field(150), st.just("")),
    password=st.one_of(hostile_text, st.just(""), st.just(PASSWORD)),
    next_url=st.one_of(st.just(""), hostile_text),
)
@example(username="root@reportdesk.example\x00", password=PASSWORD, next_url="")
@example(username="", password="", next_url="javascript:alert(1)")
def test_sign_in(client, staff, url, username, password, next_url):
    counters_clear()
    client.logout()
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url

    response = client.post(url, data)

    assert_not_server_error(response)
    if response.status_code == 302:
        assert username == staff.username and password == PASSWORD
        # Never sent off-site, whatever "next" says.
        location = response["Location"]
        assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location
        return
    assert response.status_code == 200
    assert_errors_shown(response)
    assert "_auth_user_id" not in client.session


def _changelists() -> list[str]:
    return [
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
    ]


@pytest.mark.parametrize("name", _changelists())
@hostile_settings
@given(
    params=st.dictionaries(
        st.one_of(
            st.sampled_from(["q", "o", "p", "e", "status", "past_due", "mini_app__id__exact"]),
            hostile_text,
        ),
        hostile_field(200),
        min_size=1,
        max_size=3,
    )
)
@example(params={"q": "\x00"})
@example(params={"q": "<script>alert(1)</script>"})
def test_admin_changelist_parameters(client, staff, name, params):
    client.force_login(staff)
    response = client.get(reverse(name), params)
    assert_not_server_error(response)
    # The list, or the admin's own redirect for parameters it cannot use (?e=1).
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "<script>alert(1)</script>" not in body(response)


@few_examples
@given(object_id=hostile_text)
@example(object_id="\x00")
def test_admin_change_page_with_hostile_ids(client, staff, object_id):
    from urllib.parse import quote

    client.force_login(staff)
    for model in ("reports/report", "reports/miniapp", "appeals/appeal", "reports/issuetype"):
        for page in ("change", "history", "delete"):
            response = client.get(f"/admin/{model}/{quote(object_id, safe='')}/{page}/")
            assert_not_server_error(response)
            assert response.status_code in (200, 302, 403, 404)
