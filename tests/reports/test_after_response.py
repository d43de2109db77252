"""Broker messages wait for commit, and inside a request for the response to be handed over."""

import logging

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from reports.after_response import AfterResponseMiddleware, send_after_commit

pytestmark = pytest.mark.django_db(transaction=True)


def _serve(view):
    """Run `view` behind the middleware as the WSGI handler does, response not yet closed."""
    return AfterResponseMiddleware(view)(RequestFactory().get("/"))


def test_in_a_request_the_send_waits_until_the_response_is_closed():
    sent = []

    def view(request):
        with transaction.atomic():
            send_after_commit(lambda: sent.append("delivery"))
        assert sent == []  # committed, but the response has not gone yet
        return HttpResponse("ok")

    response = _serve(view)
    assert sent == []
    response.close()  # what the WSGI server does once it has written the response
    assert sent == ["delivery"]


def test_a_rolled_back_request_sends_nothing():
    sent = []

    def view(request):
        try:
            with transaction.atomic():
                send_after_commit(lambda: sent.append("delivery"))
                raise ValueError("the form was rejected")
        except ValueError:
            pass
        return HttpResponse(status=422)

    _serve(view).close()
    assert sent == []


def test_outside_a_request_the_send_goes_at_commit():
    sent = []
    with transaction.atomic():
        send_after_commit(lambda: sent.append("delivery"))
        assert sent == []
    assert sent == ["delivery"]


def test_sends_of_one_request_do_not_leak_into_the_next():
    sent = []

    def view(request):
        send_after_commit(lambda: sent.append(len(sent)))
        return HttpResponse("ok")

    _serve(view).close()
    _serve(view).close()
    assert sent == [0, 1]
    send_after_commit(lambda: sent.append("after the requests"))  # autocommit: at once
    assert sent == [0, 1, "after the requests"]


def test_a_failed_send_is_logged_and_the_others_still_go(caplog):
    sent = []

    def broker_down():
        raise ConnectionError("Redis refused the connection")

    def view(request):
        send_after_commit(broker_down)
        send_after_commit(lambda: sent.append("e-mail"))
        return HttpResponse("ok")

    response = _serve(view)
    with caplog.at_level(logging.ERROR, logger="reports.after_response"):
        response.close()
    assert sent == ["e-mail"]
    assert "beat sweep will retry" in caplog.text
