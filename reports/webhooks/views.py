"""The webhook pages under /console/<app>/integration/webhooks/: every member reads the
endpoints and their delivery logs; owners add, change, delete, see the secret, send a test
event and resend (the services refuse anyone else; the templates only hide the forms)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from ..console import console_render
from ..models import MiniApp
from ..roles import MANAGING_ROLES, role_require
from ..selectors import mini_app_for_member
from ..signing import SECRET_GRACE_HOURS
from . import services
from .forms import WebhookEndpointForm
from .models import EventType, WebhookDelivery, WebhookEndpoint
from .network import WebhookAddressRefused, private_networks_allowed
from .selectors import (
    delivery_for_endpoint,
    delivery_log_page,
    endpoint_for_app,
    endpoints_for_app,
)

LIST_TEMPLATE = "reports/webhooks/webhooks.html"
DETAIL_TEMPLATE = "reports/webhooks/webhook_detail.html"


def _no_store(response: HttpResponse) -> HttpResponse:
    # A page showing a secret stays out of every cache.
    response["Cache-Control"] = "no-store"
    return response


def _list_page(request, mini_app: MiniApp, form, *, new_endpoint=None, status=200):
    context = {
        "endpoints": list(endpoints_for_app(mini_app=mini_app)),
        "form": form,
        "new_endpoint": new_endpoint,
        "event_types": EventType.choices,
        "private_allowed": private_networks_allowed(),
    }
    response = console_render(request, LIST_TEMPLATE, mini_app, context, status=status)
    return _no_store(response) if new_endpoint else response


def _endpoint(request: HttpRequest, app_slug: str, endpoint_id: int):
    """The member's app and its endpoint, or a 404 (another app's endpoint included)."""
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    try:
        return mini_app, endpoint_for_app(mini_app=mini_app, endpoint_id=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise Http404("No such webhook endpoint.") from None


def _detail_page(request, mini_app, endpoint, *, form=None, secret="", status=200):
    initial = {"url": endpoint.url, "event_types": endpoint.event_types}
    form = form or WebhookEndpointForm(initial={**initial, "enabled": endpoint.enabled})
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "previous_secret_until": endpoint.previous_secret_signs_until(),
        "grace_hours": SECRET_GRACE_HOURS,
        "deliveries": delivery_log_page(endpoint=endpoint, page=request.GET.get("page")),
    }
    response = console_render(request, DETAIL_TEMPLATE, mini_app, context, status=status)
    return _no_store(response) if secret else response


def _form_saved(form: WebhookEndpointForm, save) -> object | None:
    """Run the service with the form's data; its refusals become the form's errors."""
    try:
        return save(**form.cleaned_data)
    except WebhookAddressRefused as refused:
        form.add_error("url", str(refused))
    except services.WebhookRuleError as refused:
        form.add_error("event_types", str(refused))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    if request.method != "POST":
        return _list_page(request, mini_app, WebhookEndpointForm())
    # A refused role is a 403 before any validation (the service checks again).
    role_require(actor=request.user, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    form = WebhookEndpointForm(request.POST)
    endpoint = form.is_valid() and _form_saved(
        form,
        lambda **data: services.endpoint_create(mini_app=mini_app, actor=request.user, **data),
    )
    if not endpoint:
        return _list_page(request, mini_app, form, status=400)
    # Rendered, not redirected: the secret is shown in this one answer (never in the session).
    messages.success(request, f"Webhook endpoint {endpoint.url} added. Copy its secret now.")
    return _list_page(request, mini_app, WebhookEndpointForm(), new_endpoint=endpoint, status=201)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, app_slug: str, endpoint_id: int) -> HttpResponse:
    mini_app, endpoint = _endpoint(request, app_slug, endpoint_id)
    if request.method != "POST":
        return _detail_page(request, mini_app, endpoint)
    role_require(actor=request.user, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    form = WebhookEndpointForm(request.POST)
    saved = form.is_valid() and _form_saved(
        form,
        lambda **data: services.endpoint_update(endpoint=endpoint, actor=request.user, **data),
    )
    if not saved:
        return _detail_page(request, mini_app, endpoint, form=form, status=400)
    state = "enabled" if saved.enabled else "disabled"
    messages.success(request, f"Webhook endpoint saved ({state}).")
    return redirect("reports:webhook_detail", app_slug=mini_app.slug, endpoint_id=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, app_slug: str, endpoint_id: int) -> HttpResponse:
    mini_app, endpoint = _endpoint(request, app_slug, endpoint_id)
    services.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Webhook endpoint {endpoint.url} deleted: nothing more is sent.")
    return redirect("reports:webhooks", app_slug=mini_app.slug)


@login_required
@require_POST
def webhook_secret(request: HttpRequest, app_slug: str, endpoint_id: int) -> HttpResponse:
    mini_app, endpoint = _endpoint(request, app_slug, endpoint_id)
    if request.POST.get("rotate"):
        secret = services.endpoint_secret_rotate(endpoint=endpoint, actor=request.user)
        messages.success(
            request,
            "A new secret signs every delivery from now on (the old one too, for the next"
            f" {SECRET_GRACE_HOURS} hours). Copy it now.",
        )
    else:
        secret = services.endpoint_secret_reveal(endpoint=endpoint, actor=request.user)
    # Rendered, not redirected: the secret is never in a URL, a message or the session.
    return _detail_page(request, mini_app, endpoint, secret=secret)


@login_required
@require_POST
def webhook_test(request: HttpRequest, app_slug: str, endpoint_id: int) -> HttpResponse:
    mini_app, endpoint = _endpoint(request, app_slug, endpoint_id)
    try:
        delivery = services.endpoint_test_send(endpoint=endpoint, actor=request.user)
    except services.WebhookRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            f"Test event sent ({delivery.webhook_id}). Its result appears in the log below.",
        )
    return redirect("reports:webhook_detail", app_slug=mini_app.slug, endpoint_id=endpoint.pk)


@login_required
@require_POST
def webhook_resend(
    request: HttpRequest, app_slug: str, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    mini_app, endpoint = _endpoint(request, app_slug, endpoint_id)
    try:
        delivery = delivery_for_endpoint(endpoint=endpoint, delivery_id=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404("No such delivery.") from None
    try:
        services.delivery_resend(delivery=delivery, actor=request.user)
    except services.WebhookRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, f"{delivery.event_type} ({delivery.webhook_id}) is being sent again."
        )
    return redirect("reports:webhook_detail", app_slug=mini_app.slug, endpoint_id=endpoint.pk)
