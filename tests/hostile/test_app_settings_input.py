"""Hostile values sent to the Settings and Integration pages and the help center's FAQ search.
Never a 500; a refusal shows its message and stores nothing; a success stores what was sent
(stripped, as every CharField)."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reports.models import AppEvent, FaqEntry, MiniApp

from .checks import assert_errors_shown, assert_not_server_error, body, char_field_ok, stripped
from .strategies import hostile_emails, hostile_field, hostile_settings, hostile_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@hostile_settings
@given(
    language=st.one_of(st.sampled_from(["en", "es"]), hostile_text),
    question=hostile_field(200),
    answer=hostile_field(5000),
    position=st.one_of(st.integers(-5, 20000).map(str), hostile_text),
)
@example(language="en", question="Q\x00", answer="A", position="1")
def test_faq_add(owner_client, mini_app, language, question, answer, position):
    before = FaqEntry.objects.count()
    response = owner_client.post(
        "/console/acme/settings/faq/",
        {"language": language, "question": question, "answer": answer, "position": position},
    )
    assert_not_server_error(response)
    if response.status_code == 302:
        entry = FaqEntry.objects.latest("pk")
        assert (entry.question, entry.answer) == (stripped(question), stripped(answer))
        assert entry.language in ("en", "es") and 0 <= entry.position <= 9999
        return
    assert response.status_code == 422
    assert_errors_shown(response, "faq_form")
    assert FaqEntry.objects.count() == before


@hostile_settings
@given(name=hostile_field(100))
def test_app_name(owner_client, mini_app, name):
    MiniApp.objects.filter(pk=mini_app.pk).update(name="Acme Shop")  # examples share the row
    response = owner_client.post("/console/acme/settings/name/", {"name": name})
    assert_not_server_error(response)
    stored = MiniApp.objects.get(pk=mini_app.pk).name
    if response.status_code == 302:
        assert stored == stripped(name) and char_field_ok(name, 100)
    else:
        assert_errors_shown(response, "name_form")
        assert stored == "Acme Shop"


@hostile_settings
@given(email=hostile_emails)
def test_support_email(owner_client, mini_app, email):
    MiniApp.objects.filter(pk=mini_app.pk).update(support_email="help@acme.example")
    response = owner_client.post("/console/acme/settings/support-email/", {"support_email": email})
    assert_not_server_error(response)
    stored = MiniApp.objects.get(pk=mini_app.pk).support_email
    if response.status_code == 302:
        assert stored.lower() == stripped(email).lower() or stored == "help@acme.example"
    else:
        assert_errors_shown(response, "email_form")
        assert stored == "help@acme.example"


@hostile_settings
@given(query=hostile_text)
@example(query="refund\x00%_")
def test_help_center_faq_search(client, mini_app, query):
    FaqEntry.objects.get_or_create(
        mini_app=mini_app, language="en", question="Where is my refund?", answer="In 5 days."
    )
    response = client.get("/help/acme/", {"q": query})
    assert_not_server_error(response)
    assert response.status_code == 200
    assert "<script>alert" not in body(response)


@hostile_settings
@given(open_id=hostile_field(128))
def test_signed_link_generator(owner_client, mini_app, open_id):
    response = owner_client.get("/console/acme/integration/", {"open_id": open_id})
    assert_not_server_error(response)
    if response.status_code == 422:
        assert_errors_shown(response, "link_form")
    else:
        assert response.status_code == 200 and "signed-link-value" in body(response)
    assert not AppEvent.objects.exists()  # generating a link changes nothing
