"""Broker messages sent after commit, and inside a request only once the response has gone.

Publishing a Celery task costs a request about half a millisecond of Python and a Redis round
trip (bench/webhooks.py). The rows a message tells of are committed first, so the message can
wait until Django has handed the response to the server: request_finished is sent from the
response's close(), which the WSGI server calls after writing it. Outside a request (a task, a
command, the shell) the message goes at commit. A process that dies in between loses only
the message: the beat sweeps send what its rows still wait for.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar

from celery import current_app
from django.core.signals import request_finished
from django.db import transaction
from django.dispatch import receiver

logger = logging.getLogger(__name__)

# The sends waiting for the current request's response; None outside a request.
_waiting: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "reportdesk_after_response", default=None
)


class AfterResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _waiting.set([])
        return self.get_response(request)


def send_after_commit(send: Callable[[], None]) -> None:
    """Run `send` once the current transaction commits, and, in a request, after its response."""
    transaction.on_commit(lambda: _send_after_response(send))


def _send_after_response(send: Callable[[], None]) -> None:
    waiting = _waiting.get()
    if waiting is None:
        send()
    else:
        waiting.append(send)


@receiver(request_finished, dispatch_uid="reportdesk_after_response")
def _send_waiting(**kwargs) -> None:
    waiting = _waiting.get()
    _waiting.set(None)
    for send in waiting or ():
        try:
            send()
        except Exception:  # one failed send must not stop the others; their rows wait
            logger.exception("A send after the response failed; the beat sweep will retry")


def task_send(name: str, row_id: int, *, what: str, sweep: str, countdown: float = 0) -> None:
    """Send the task `name` for one row, by name: a signature runs the registered task when it
    is loaded (eager mode in tests honoured), else goes to the worker that has it. A broker
    that cannot be reached leaves the row to its beat sweep (`what` and `sweep` name both in
    the warning)."""
    try:
        current_app.signature(name, args=[row_id]).apply_async(
            retry=False, countdown=countdown or None
        )
    except Exception:
        logger.warning("Broker unavailable; %s %s left for the %s", what, row_id, sweep)
