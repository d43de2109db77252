"""Reads for the webhook pages."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from ..models import MiniApp
from .models import WebhookDelivery, WebhookEndpoint

LOG_PAGE_SIZE = 25


def endpoints_for_app(*, mini_app: MiniApp) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(mini_app=mini_app).order_by("created_at", "id")


def endpoint_for_app(*, mini_app: MiniApp, endpoint_id: int) -> WebhookEndpoint:
    """The app's endpoint (WebhookEndpoint.DoesNotExist for another app's: the view 404s)."""
    return WebhookEndpoint.objects.select_related("mini_app").get(mini_app=mini_app, pk=endpoint_id)


def delivery_for_endpoint(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("endpoint__mini_app").get(
        endpoint=endpoint, pk=delivery_id
    )


def delivery_log_page(*, endpoint: WebhookEndpoint, page: str | None) -> Page:
    """The endpoint's deliveries, newest first, a page at a time (webhook_delivery_log)."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    return Paginator(deliveries, LOG_PAGE_SIZE).get_page(page)
