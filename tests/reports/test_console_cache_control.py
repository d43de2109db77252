"""No console response stays in a browser's cache: private reports must go with sign-out."""

import pytest

from tests.test_access_matrix import LOGIN, ROWS, _request, fast_passwords, world  # noqa: F401

pytestmark = pytest.mark.django_db

# Every console URL of the access matrix: the ones that send a signed-out visitor to sign in,
# except the user's own password change pages (Django's views, under /accounts/, no app data).
ACCOUNT_PAGES = {"password_change", "password_change_done"}
CONSOLE_ROWS = [
    row for row in ROWS if row.expect["anonymous"] == LOGIN and row.name not in ACCOUNT_PAGES
]


def test_the_console_rows_are_the_console():
    assert len(CONSOLE_ROWS) >= 15
    assert {row.name.split(":")[0] for row in CONSOLE_ROWS} == {"reports", "appeals"}


@pytest.mark.parametrize("visitor", ["owner", "viewer", "anonymous"])
@pytest.mark.parametrize("row", CONSOLE_ROWS, ids=[row.id for row in CONSOLE_ROWS])
def test_every_console_response_is_private_and_not_stored(client, world, row, visitor):  # noqa: F811
    if visitor != "anonymous":
        client.force_login(world.users[visitor])
    assert row.path(world).startswith("/console/")
    response = _request(client, row, world, visitor)
    assert response.status_code == row.expect[visitor].status
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert not any(part.startswith("max-age=") and part != "max-age=0" for part in directives)
