"""Settings changes really at once (PostgreSQL threads): a double-clicked Rotate rotates once,
and a verification link clicked twice at once verifies once."""

import re

import pytest

from reports.app_settings import services
from reports.models import AppEvent, MiniApp, OutboundEmail
from tests.conftest import on_postgres, run_at_once

pytestmark = [on_postgres, pytest.mark.django_db(transaction=True)]


def test_two_rotations_from_one_page_at_once_rotate_once(mini_app, owner):
    def rotate():
        app = MiniApp.objects.get(pk=mini_app.pk)
        return services.signing_secret_rotate(mini_app=app, actor=owner, seen_rotated_at="")

    results, errors = run_at_once(*[rotate] * 4)
    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(error, services.SecretRotatedMeanwhile) for error in errors)
    app = MiniApp.objects.get(pk=mini_app.pk)
    assert app.previous_signing_secret == "s3cret"  # the servers' secret keeps its 24 hours
    assert app.signing_secret == results[0].signing_secret
    assert AppEvent.objects.filter(kind=AppEvent.Kind.SECRET_ROTATED).count() == 1


def test_a_link_used_twice_at_once_verifies_once(mini_app, owner):
    services.support_email_change(mini_app=mini_app, actor=owner, email="care@acme.example")
    body = OutboundEmail.objects.get(to="care@acme.example").body
    token = re.search(r"/console/support-email/(\S+)/", body).group(1)

    results, errors = run_at_once(*[lambda: services.support_email_verify(token=token)] * 4)
    assert len(results) == 1
    assert all(isinstance(error, services.VerificationLinkInvalid) for error in errors)
    assert len(errors) == 3
    assert AppEvent.objects.filter(kind=AppEvent.Kind.SUPPORT_EMAIL_VERIFIED).count() == 1
    assert MiniApp.objects.get(pk=mini_app.pk).support_email_shared == "care@acme.example"
