"""The owners' intro and FAQ on the help center's home, per language, searchable without JS."""

import pytest

from reports.models import FaqEntry, HelpIntro

pytestmark = pytest.mark.django_db


@pytest.fixture
def faq(mini_app):
    HelpIntro.objects.create(mini_app=mini_app, language="en", text="Welcome to Acme help.")
    HelpIntro.objects.create(mini_app=mini_app, language="es", text="Bienvenido a la ayuda.")
    FaqEntry.objects.create(
        mini_app=mini_app,
        language="en",
        question="Where is my refund?",
        answer="Refunds arrive within 5 days.",
        position=2,
    )
    FaqEntry.objects.create(
        mini_app=mini_app,
        language="en",
        question="How do I reset my password?",
        answer="Use the link on the sign-in screen.",
        position=1,
    )
    FaqEntry.objects.create(
        mini_app=mini_app,
        language="es",
        question="¿Dónde está mi reembolso?",
        answer="Los reembolsos llegan en 5 días.",
        position=1,
    )


def test_the_faq_comes_before_the_categories_in_english(client, faq):
    page = client.get("/help/acme/").content.decode()
    assert "Welcome to Acme help." in page
    assert "Frequently asked questions" in page
    assert page.index("How do I reset my password?") < page.index("Where is my refund?")
    assert page.index("Where is my refund?") < page.index("What is your report about?")
    assert "reembolso" not in page


def test_the_faq_in_spanish(client, faq):
    page = client.get("/help/acme/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Bienvenido a la ayuda." in page
    assert "Preguntas frecuentes" in page
    assert "¿Dónde está mi reembolso?" in page
    assert "Where is my refund?" not in page
    assert "Buscar en las preguntas" in page


def test_a_search_narrows_the_questions_on_the_server(client, faq):
    page = client.get("/help/acme/", {"q": "refund"}).content.decode()
    assert "Where is my refund?" in page
    assert "How do I reset my password?" not in page
    assert "1 question matches “refund”." in page
    page = client.get("/help/acme/", {"q": "refunds days"}).content.decode()  # every word
    assert "Where is my refund?" in page
    page = client.get("/help/acme/", {"q": "teleport"}).content.decode()
    assert "No question matches" in page
    assert "What is your report about?" in page  # the way to report stays right there


def test_a_spanish_search(client, faq):
    page = client.get(
        "/help/acme/", {"q": "reembolsos"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "¿Dónde está mi reembolso?" in page
    assert "1 pregunta coincide con «reembolsos»." in page


def test_the_search_keeps_a_signed_link(client, faq, mini_app, signed_link):
    signed = signed_link(mini_app, open_id="oid-7")
    page = client.get("/help/acme/", signed).content.decode()
    assert f'name="sig" value="{signed["sig"]}"' in page


def test_no_faq_no_section(client, mini_app, other_app):
    FaqEntry.objects.create(mini_app=other_app, language="en", question="Globex Q", answer="A")
    page = client.get("/help/acme/").content.decode()
    assert "Frequently asked questions" not in page and "Globex Q" not in page


def test_faq_text_is_inert(client, mini_app):
    FaqEntry.objects.create(
        mini_app=mini_app, language="en", question="<script>x()</script>", answer="<b>bold</b>"
    )
    page = client.get("/help/acme/").content.decode()
    assert "<script>x()</script>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
