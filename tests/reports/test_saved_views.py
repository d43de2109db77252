"""Saved views (issue 15): a member's named list states, shown as tabs above the list, private
unless shared with the team; the query holds only what the list's own filter accepts."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from reports.models import AppEvent, SavedView
from reports.roles import RoleRequired
from reports.services import saved_view_delete, saved_view_save

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"reports:{name}", args=["acme", *args])


def view_tabs(body: str) -> str:
    return body.split('<nav class="tabs saved-views" aria-label="Saved views">')[1].split("</nav>")[
        0
    ]


def test_a_member_saves_the_list_state_and_sees_it_as_a_tab(client, teammate, make_report):
    make_report()
    client.force_login(teammate)
    query = "category=payment&past_due=true&after=ABCDEFGHJK&ordering=-time&bogus=1&q=+refund+"
    response = client.post(url("saved_views"), {"name": "Payment, past due", "query": query})
    view = SavedView.objects.get()
    # Only the list's own parameters, in one order, without paging or the default sort.
    assert view.query == "q=refund&category=payment&past_due=true"
    assert (view.owner, view.shared) == (teammate, False)
    assert response.status_code == 302
    assert response["Location"] == f"{url('report_list')}?{view.query}"
    body = client.get(response["Location"]).content.decode()
    assert (
        f'?{view.query.replace("&", "&amp;")}" aria-current="page">Payment, past due'
        in view_tabs(body)
    )
    assert "View “Payment, past due” saved." in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "query": ""}, "Name the view"),
        ({"name": "x" * 61, "query": ""}, "at most 60 characters"),
        ({"name": "Two\nlines", "query": ""}, "Use visible characters only"),
        ({"name": "Bad", "query": "status=nonsense"}, "search and filters are not valid"),
        ({"name": "Bad", "query": "reported_from=2026-02-31"}, "search and filters are not valid"),
        ({"name": "Taken", "query": ""}, "You have a view named “Taken” already"),
    ],
)
def test_a_refused_view_says_why_and_stores_nothing(client, owner, mini_app, data, message):
    saved_view_save(mini_app=mini_app, actor=owner, name="Taken", query="", shared=False)
    client.force_login(owner)
    response = client.post(url("saved_views"), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert SavedView.objects.count() == 1


def test_the_same_name_is_fine_for_another_member(mini_app, owner, teammate):
    saved_view_save(mini_app=mini_app, actor=owner, name="Mine", query="", shared=False)
    saved_view_save(mini_app=mini_app, actor=teammate, name="Mine", query="", shared=False)
    assert SavedView.objects.count() == 2


def test_private_views_are_private_and_shared_ones_reach_the_team(
    client, mini_app, owner, teammate, viewer, outsider
):
    private = saved_view_save(
        mini_app=mini_app, actor=owner, name="Owner own", query="category=payment", shared=False
    )
    shared = saved_view_save(
        mini_app=mini_app, actor=owner, name="Team view", query="status=pending", shared=True
    )
    event = AppEvent.objects.get(kind=AppEvent.Kind.SAVED_VIEW_SHARED)
    assert (event.actor, event.data["name"]) == (owner, "Team view")
    for member in (teammate, viewer):
        client.force_login(member)
        tabs = view_tabs(client.get(url("report_list")).content.decode())
        assert "Team view" in tabs and "shared by owner@acme.example" in tabs
        assert "Owner own" not in tabs
        # Another member's private view is not there at all.
        assert client.post(url("saved_view_delete", private.pk)).status_code == 404
    client.force_login(outsider)
    assert client.get(url("saved_views")).status_code == 404
    assert client.post(url("saved_view_delete", shared.pk)).status_code == 404
    client.force_login(owner)
    tabs = view_tabs(client.get(url("report_list")).content.decode())
    assert tabs.index("Owner own") < tabs.index("Team view")


def test_rename_share_and_unshare_own_view_are_audited_when_shared(client, mini_app, teammate):
    view = saved_view_save(mini_app=mini_app, actor=teammate, name="Mine", query="", shared=False)
    client.force_login(teammate)
    prefix = f"view-{view.pk}"
    response = client.post(
        url("saved_view_edit", view.pk), {f"{prefix}-name": "Ours", f"{prefix}-shared": "on"}
    )
    assert response.status_code == 302
    view.refresh_from_db()
    assert (view.name, view.shared) == ("Ours", True)
    client.post(
        url("saved_view_edit", view.pk),
        {f"{prefix}-name": "Ours, renamed", f"{prefix}-shared": "on"},
    )
    client.post(url("saved_view_edit", view.pk), {f"{prefix}-name": "Ours, renamed"})
    kinds = list(AppEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["saved_view_shared", "saved_view_renamed", "saved_view_unshared"]
    response = client.post(url("saved_view_edit", view.pk), {f"{prefix}-name": ""})
    assert response.status_code == 422
    assert "Name the view" in response.content.decode()


def test_a_viewer_keeps_private_views_but_cannot_share(client, mini_app, viewer):
    client.force_login(viewer)
    page = client.get(url("report_list")).content.decode()
    assert 'id="id_view_name"' in page and 'id="id_view_shared"' not in page
    response = client.post(url("saved_views"), {"name": "Mine", "query": "status=pending"})
    assert response.status_code == 302
    assert client.post(url("saved_views"), {"name": "Ours", "shared": "on"}).status_code == 403
    with pytest.raises(RoleRequired):
        saved_view_save(mini_app=mini_app, actor=viewer, name="Ours", query="", shared=True)
    assert list(SavedView.objects.values_list("name", "shared")) == [("Mine", False)]


def test_only_the_creator_changes_a_view_and_an_owner_may_delete_a_shared_one(
    client, mini_app, owner, teammate, make_user
):
    shared = saved_view_save(
        mini_app=mini_app, actor=teammate, name="Team view", query="", shared=True
    )
    client.force_login(owner)
    prefix = f"view-{shared.pk}"
    response = client.post(url("saved_view_edit", shared.pk), {f"{prefix}-name": "Taken over"})
    assert response.status_code == 403
    handler2 = make_user("second@acme.example")
    mini_app.memberships.create(user=handler2, role="handler")
    with pytest.raises(RoleRequired):
        saved_view_delete(saved_view=shared, actor=handler2)
    response = client.post(url("saved_view_delete", shared.pk))
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    event = AppEvent.objects.filter(kind=AppEvent.Kind.SAVED_VIEW_DELETED).get()
    assert event.actor == owner


def test_a_saved_view_of_another_app_is_not_found(client, mini_app, other_app, owner, outsider):
    theirs = saved_view_save(mini_app=other_app, actor=outsider, name="X", query="", shared=True)
    client.force_login(owner)
    assert client.post(url("saved_view_delete", theirs.pk)).status_code == 404
    assert (
        client.post(url("saved_view_edit", theirs.pk), {f"view-{theirs.pk}-name": "Y"}).status_code
        == 404
    )
    assert "X" not in view_tabs(client.get(url("report_list")).content.decode())
    with pytest.raises(RoleRequired):
        saved_view_save(
            mini_app=mini_app, actor=owner, name="Z", query="", shared=False, saved_view=theirs
        )
    assert SavedView.objects.get().name == "X"


def test_the_manage_page_lists_own_and_shared_views(client, mini_app, owner, teammate):
    saved_view_save(mini_app=mini_app, actor=owner, name="By owner", query="", shared=True)
    saved_view_save(mini_app=mini_app, actor=teammate, name="By handler", query="q=x", shared=False)
    client.force_login(teammate)
    body = client.get(url("saved_views")).content.decode()
    assert "By owner" in body and "By handler" in body and "shared by owner@acme.example" in body
    assert body.count("Delete<span") == 1  # a handler deletes only their own


def test_a_view_keeps_the_source_filter(client, teammate):
    client.force_login(teammate)
    client.post(
        url("saved_views"), {"name": "From the app", "query": "source=api&category=payment"}
    )
    assert SavedView.objects.get().query == "category=payment&source=api"


def test_a_long_search_outside_ascii_is_saved_whole(client, teammate):
    search = "退款没有到账" * 33 + "！！"  # 200 characters, 2,400 once URL-encoded
    client.force_login(teammate)
    response = client.post(
        url("saved_views"), {"name": "Refunds", "query": urlencode({"q": search})}
    )
    assert response.status_code == 302
    view = SavedView.objects.get()
    assert QueryDict(view.query)["q"] == search
    body = client.get(response["Location"]).content.decode()
    assert 'aria-current="page">Refunds' in view_tabs(body)


def test_a_view_stored_with_its_parameters_in_another_order_is_still_the_current_tab(
    client, mini_app, teammate
):
    SavedView.objects.create(
        mini_app=mini_app, owner=teammate, name="Older", query="past_due=true&q=refund"
    )
    client.force_login(teammate)
    body = client.get(url("report_list") + "?q=refund&past_due=true").content.decode()
    assert 'aria-current="page">Older' in view_tabs(body)
