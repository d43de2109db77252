"""API keys: created by owners, shown once, stored hashed, revoked in one click, last use kept
without a write per request. The page /console/<app>/integration/keys/."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.api_keys.selectors import api_key_for_bearer
from reports.api_keys.services import api_key_create, api_key_revoke, api_key_touch
from reports.models import ApiKey, AppEvent

pytestmark = pytest.mark.django_db

KEYS_URL = "/console/acme/integration/keys/"


@pytest.fixture
def made_key(mini_app, owner):
    return api_key_create(mini_app=mini_app, actor=owner, name="CRM sync", scope="handle")


def test_the_key_is_stored_only_as_its_sha256(made_key):
    api_key, key = made_key
    assert key.startswith("rdk_") and len(key) == 4 + 8 + 32
    assert api_key.prefix == key[:12]
    row = ApiKey.objects.get(pk=api_key.pk)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiKey.objects.values_list().get())
    assert key not in stored and key[12:] not in stored


def test_each_key_is_different(mini_app, owner):
    keys = {
        api_key_create(mini_app=mini_app, actor=owner, name="k", scope="read")[1] for _ in range(5)
    }
    assert len(keys) == 5


def test_the_presented_key_is_found_only_whole_and_live(made_key, owner):
    api_key, key = made_key
    assert api_key_for_bearer(presented=key) == api_key
    assert api_key_for_bearer(presented=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert api_key_for_bearer(presented=key[:12]) is None
    assert api_key_for_bearer(presented=key + "x") is None
    assert api_key_for_bearer(presented="rdk_\x00\x00\x00\x00\x00\x00\x00\x00") is None
    api_key_revoke(api_key=api_key, actor=owner)
    assert api_key_for_bearer(presented=key) is None


def test_a_wrong_key_costs_one_lookup_like_a_right_one(made_key):
    _, key = made_key
    for presented in (key, key[:12] + "x" * 32, "rdk_ZZZZZZZZ" + "x" * 32):
        with CaptureQueriesContext(connection) as queries:
            api_key_for_bearer(presented=presented)
        assert len(queries) == 1


def test_only_owners_create_and_revoke_and_each_change_is_audited(
    mini_app, owner, teammate, viewer, outsider
):
    for user in (teammate, viewer, outsider):
        with pytest.raises(PermissionDenied):
            api_key_create(mini_app=mini_app, actor=user, name="x", scope="read")
    assert not ApiKey.objects.exists()
    api_key, _ = api_key_create(mini_app=mini_app, actor=owner, name="CRM", scope="read")
    for user in (teammate, viewer, outsider):
        with pytest.raises(PermissionDenied):
            api_key_revoke(api_key=api_key, actor=user)
    assert ApiKey.objects.get().revoked_at is None
    assert api_key_revoke(api_key=api_key, actor=owner) is True
    assert api_key_revoke(api_key=api_key, actor=owner) is False  # recorded once
    events = list(AppEvent.objects.order_by("id").values_list("kind", "actor", "data"))
    assert events == [
        ("api_key_created", owner.pk, {"key": api_key.prefix, "name": "CRM", "scope": "read"}),
        ("api_key_revoked", owner.pk, {"key": api_key.prefix, "name": "CRM"}),
    ]


def test_last_use_is_written_at_most_once_a_minute(made_key):
    api_key, _ = made_key
    start = timezone.now()
    assert api_key_touch(api_key=api_key, now=start) is True
    with CaptureQueriesContext(connection) as queries:
        assert api_key_touch(api_key=api_key, now=start + timedelta(seconds=59)) is False
    assert len(queries) == 0  # the loaded row was fresh: no query at all
    stale_copy = ApiKey.objects.get(pk=api_key.pk)
    stale_copy.last_used_at = None  # another process loaded it before the first touch
    assert api_key_touch(api_key=stale_copy, now=start + timedelta(seconds=30)) is False
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start
    assert api_key_touch(api_key=api_key, now=start + timedelta(seconds=61)) is True
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == start + timedelta(seconds=61)


# --- The page


def test_every_member_reads_the_list_but_only_owners_see_the_forms(
    client, made_key, teammate, viewer, owner
):
    api_key, key = made_key
    for user in (teammate, viewer):
        client.force_login(user)
        page = client.get(KEYS_URL).content.decode()
        assert "CRM sync" in page and api_key.prefix in page
        assert "Create key" not in page and ">Revoke<" not in page
        assert key not in page
    client.force_login(owner)
    page = client.get(KEYS_URL).content.decode()
    assert "Create key" in page and ">Revoke<" in page and key not in page


def test_an_outsider_gets_a_404(client, made_key, outsider):
    client.force_login(outsider)
    assert client.get(KEYS_URL).status_code == 404
    api_key, _ = made_key
    assert client.post(f"{KEYS_URL}{api_key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get().is_active


def test_an_owner_creates_a_key_and_sees_it_once(client, owner):
    client.force_login(owner)
    response = client.post(KEYS_URL, {"name": "Support bot", "scope": "handle"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    page = response.content.decode()
    key = page.split('id="new-key" value="')[1].split('"')[0]
    assert key.startswith(api_key.prefix)
    assert api_key_for_bearer(presented=key) == api_key
    assert (api_key.name, api_key.scope, api_key.created_by) == ("Support bot", "handle", owner)
    assert key not in client.get(KEYS_URL).content.decode()
    assert key not in str(dict(client.session))


def test_a_refused_creation_stores_nothing_and_says_why(client, owner):
    client.force_login(owner)
    response = client.post(KEYS_URL, {"name": "  ", "scope": "admin"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the key a name" in page
    assert "Select a valid choice" in page
    assert not ApiKey.objects.exists()


def test_a_handler_or_viewer_cannot_create_or_revoke_by_posting(client, made_key, teammate, viewer):
    api_key, _ = made_key
    for user in (teammate, viewer):
        client.force_login(user)
        assert client.post(KEYS_URL, {"name": "Mine", "scope": "handle"}).status_code == 403
        assert client.post(f"{KEYS_URL}{api_key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().is_active


def test_an_owner_revokes_in_one_click(client, made_key, owner):
    api_key, key = made_key
    client.force_login(owner)
    response = client.post(f"{KEYS_URL}{api_key.pk}/revoke/", follow=True)
    assert response.redirect_chain == [(KEYS_URL, 302)]
    assert "is revoked" in response.content.decode()
    assert api_key_for_bearer(presented=key) is None


def test_another_apps_key_cannot_be_revoked_through_my_app(client, owner, other_app, make_user):
    other_owner = make_user("boss@globex.example")
    from reports.models import Membership

    Membership.objects.create(mini_app=other_app, user=other_owner, role="owner")
    theirs, _ = api_key_create(mini_app=other_app, actor=other_owner, name="G", scope="read")
    client.force_login(owner)
    assert client.post(f"{KEYS_URL}{theirs.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).is_active
