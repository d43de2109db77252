"""What every full console page of a mini app renders with: the app and the header's navigation.

A page that forgets the navigation leaves the member without the app switcher and the links,
so the capability pages (team, settings, integration, keys) render through console_render.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import MiniApp
from .selectors import console_nav


def console_render(
    request: HttpRequest,
    template: str,
    mini_app: MiniApp,
    context: dict | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    page = {
        "mini_app": mini_app,
        "console_nav": console_nav(mini_app=mini_app, user=request.user, path=request.path),
        **(context or {}),
    }
    return render(request, template, page, status=status)
