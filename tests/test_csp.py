"""Every HTML page carries the Content-Security-Policy: our own scripts and styles only."""

import pytest
from django.contrib.auth import get_user_model

EXPECTED = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def assert_policy(response):
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    for directive in EXPECTED:
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_console_page(client, owner, mini_app):
    client.force_login(owner)
    assert_policy(client.get(f"/console/{mini_app.slug}/reports/"))


def test_help_center_pages(client, mini_app):
    assert_policy(client.get(f"/help/{mini_app.slug}/"))
    assert_policy(client.get("/accounts/login/"))


@pytest.mark.parametrize("url", ["/admin/", "/admin/reports/report/", "/admin/auth/user/add/"])
def test_admin_pages(client, db, url):
    admin = get_user_model().objects.create_superuser(
        username="admin@example.com", email="admin@example.com", password="x"
    )
    client.force_login(admin)
    assert_policy(client.get(url))


def test_the_pages_have_no_inline_styles_or_scripts(client, owner, mini_app):
    """The policy would block them: they must not be there in the first place."""
    client.force_login(owner)
    for url in [f"/console/{mini_app.slug}/reports/", f"/help/{mini_app.slug}/"]:
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert "<style" not in html
        for script in html.split("<script")[1:]:
            assert script.lstrip().startswith("src="), script[:80]
