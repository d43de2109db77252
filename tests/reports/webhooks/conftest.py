import pytest

from reports.webhooks.models import EventType, WebhookEndpoint

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def production(settings):
    """DEBUG off, private networks refused: the rules production runs with."""
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False


@pytest.fixture
def endpoint(mini_app, owner, receiver, private_allowed) -> WebhookEndpoint:
    """An endpoint of acme subscribed to every event, pointing at the loopback receiver."""
    return WebhookEndpoint.objects.create(
        mini_app=mini_app, url=receiver.url, event_types=EventType.values, created_by=owner
    )
