"""The API keys page, /console/<app>/integration/keys/: every member reads the list, owners
create and revoke keys (the services refuse anyone else; the template only hides the forms)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from ..console import console_render
from ..models import ApiKey, MiniApp
from ..selectors import mini_app_for_member
from .forms import ApiKeyCreateForm
from .selectors import api_key_for_app, api_keys_for_app
from .services import api_key_create, api_key_revoke

TEMPLATE = "reports/api_keys/api_keys.html"


def _page(request: HttpRequest, mini_app: MiniApp, form, new_key: str = "", status=200):
    context = {
        "api_keys": list(api_keys_for_app(mini_app=mini_app)),
        "form": form,
        "new_key": new_key,
    }
    response = console_render(request, TEMPLATE, mini_app, context, status=status)
    if new_key:
        # The only time the whole key exists outside its owner's hands: keep it out of caches.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    if request.method != "POST":
        return _page(request, mini_app, ApiKeyCreateForm())
    form = ApiKeyCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, mini_app, form, status=400)
    api_key, key = api_key_create(mini_app=mini_app, actor=request.user, **form.cleaned_data)
    # Rendered, not redirected: the key is shown in this one answer and stored nowhere else
    # (a flash message would keep it in the session).
    messages.success(request, f"API key “{api_key.name}” created. Copy it now.")
    return _page(request, mini_app, ApiKeyCreateForm(), new_key=key, status=201)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, app_slug: str, key_id: int) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    try:
        api_key = api_key_for_app(mini_app=mini_app, key_id=key_id)
    except ApiKey.DoesNotExist:
        raise Http404("No such API key.") from None
    if api_key_revoke(api_key=api_key, actor=request.user):
        messages.success(
            request, f"API key “{api_key.name}” ({api_key.prefix}…) is revoked and works no more."
        )
    else:
        messages.info(request, f"API key “{api_key.name}” was already revoked.")
    return redirect("reports:api_keys", app_slug=mini_app.slug)
