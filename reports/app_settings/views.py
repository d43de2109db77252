"""The Settings page (owners) and the Integration page (every member): thin views.

Refusals follow the console's rule: a non-member gets a 404 (mini_app_for_member), so nobody
learns which apps exist; a member whose role does not allow the page or the change gets a 403
(RoleRequired, raised here for the page and by every service for the change): they know the
app exists already, and "your role does not allow this" tells them whom to ask.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..console import console_render
from ..models import HANDLING_ROLES, HelpLanguage, MiniApp
from ..roles import RoleRequired
from ..selectors import mini_app_for_member
from ..signing import API_MAX_SKEW, OPEN_ID_MAX_AGE, SECRET_GRACE, SECRET_GRACE_HOURS
from ..timeformat import when_zone_text
from . import selectors, services
from .forms import AppNameForm, FaqEntryForm, HelpIntroForm, SignedLinkForm, SupportEmailForm


def _app_for_owner(request: HttpRequest, app_slug: str) -> MiniApp:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    if not mini_app.member_is_owner:
        raise RoleRequired("Only the app's owners can open its settings.")
    return mini_app


def _settings_url(mini_app: MiniApp, anchor: str = "") -> str:
    url = reverse("reports:app_settings", args=[mini_app.slug])
    return f"{url}#{anchor}" if anchor else url


def _settings_render(
    request: HttpRequest, mini_app: MiniApp, *, status: int = 200, **overrides
) -> HttpResponse:
    page = selectors.settings_page(mini_app=mini_app, now=timezone.now())
    bound_intro = overrides.pop("intro_form", None)
    intro_forms = [
        (
            language,
            label,
            bound_intro
            if bound_intro is not None and bound_intro.prefix == f"intro-{language}"
            else HelpIntroForm(initial={"text": page.intros.get(language, "")}, language=language),
        )
        for language, label in HelpLanguage.choices
    ]
    context = {
        "page": page,
        "faq_sections": [
            (language, label, page.faq_by_language[language])
            for language, label in HelpLanguage.choices
        ],
        "name_form": AppNameForm(initial={"name": mini_app.name}),
        "email_form": SupportEmailForm(initial={"support_email": mini_app.support_email}),
        "intro_forms": intro_forms,
        "faq_form": FaqEntryForm(initial={"language": request.LANGUAGE_CODE[:2] or "en"}),
        "grace_hours": SECRET_GRACE_HOURS,
        **overrides,
    }
    return console_render(
        request, "reports/app_settings/settings.html", mini_app, context, status=status
    )


@login_required
@require_GET
def app_settings(request: HttpRequest, app_slug: str) -> HttpResponse:
    return _settings_render(request, _app_for_owner(request, app_slug))


@login_required
@require_POST
def app_name(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    form = AppNameForm(request.POST)
    if not form.is_valid():
        return _settings_render(request, mini_app, status=422, name_form=form)
    services.app_rename(mini_app=mini_app, actor=request.user, name=form.cleaned_data["name"])
    messages.success(request, "The app's name is saved.")
    return redirect(_settings_url(mini_app, "app-name"))


@login_required
@require_POST
def support_email(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    form = SupportEmailForm(request.POST)
    if not form.is_valid():
        return _settings_render(request, mini_app, status=422, email_form=form)
    email = form.cleaned_data["support_email"]
    if email == mini_app.support_email:
        messages.info(request, "That is already the support e-mail; nothing changed.")
    else:
        services.support_email_change(mini_app=mini_app, actor=request.user, email=email)
        messages.success(
            request,
            f"We sent a confirmation link to {email}. Reporters see the address once someone "
            "opens that link and confirms it.",
        )
    return redirect(_settings_url(mini_app, "support-email"))


@login_required
@require_POST
def support_email_resend(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    services.support_email_verification_send(mini_app=mini_app, actor=request.user)
    if mini_app.support_email_verified_at:
        messages.info(request, "The support e-mail is confirmed already.")
    else:
        messages.success(request, f"We sent a new confirmation link to {mini_app.support_email}.")
    return redirect(_settings_url(mini_app, "support-email"))


@require_http_methods(["GET", "POST"])
def support_email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: whoever reads the mailbox confirms it, signed in or not.

    A GET only shows the question (mail scanners open links); the button's POST confirms.
    """
    template = "reports/app_settings/support_email_verify.html"
    try:
        if request.method == "POST":
            mini_app = services.support_email_verify(token=token)
            return render(request, template, {"verified_app": mini_app, "state": "verified"})
        mini_app = services.support_email_link_check(token=token)
    except services.VerificationLinkExpired:
        return render(request, template, {"state": "expired"}, status=410)
    except services.VerificationLinkInvalid:
        return render(request, template, {"state": "invalid"}, status=404)
    # Not "mini_app": the page is public, and base.html shows that app's console menu.
    return render(request, template, {"verified_app": mini_app, "state": "confirm"})


@login_required
@require_POST
def help_intro(request: HttpRequest, app_slug: str, language: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    if language not in HelpLanguage.values:
        raise Http404("No such language.")
    form = HelpIntroForm(request.POST, language=language)
    if not form.is_valid():
        return _settings_render(request, mini_app, status=422, intro_form=form)
    services.help_intro_set(
        mini_app=mini_app, actor=request.user, language=language, text=form.cleaned_data["text"]
    )
    messages.success(request, f"The {HelpLanguage(language).label} intro text is saved.")
    return redirect(_settings_url(mini_app, "help-center"))


@login_required
@require_POST
def faq_add(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    form = FaqEntryForm(request.POST)
    if not form.is_valid():
        return _settings_render(request, mini_app, status=422, faq_form=form)
    entry = services.faq_entry_add(mini_app=mini_app, actor=request.user, **form.cleaned_data)
    messages.success(request, f"Added “{entry.question}” to the FAQ.")
    return redirect(_settings_url(mini_app, "faq"))


@login_required
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, app_slug: str, entry_id: int) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    entry = selectors.faq_entry_for_app(mini_app=mini_app, entry_id=entry_id)
    if request.method == "POST":
        form = FaqEntryForm(request.POST)
        if form.is_valid():
            services.faq_entry_change(entry=entry, actor=request.user, **form.cleaned_data)
            messages.success(request, f"Saved “{entry.question}”.")
            return redirect(_settings_url(mini_app, "faq"))
        status = 422
    else:
        form = FaqEntryForm(
            initial={
                "language": entry.language,
                "question": entry.question,
                "answer": entry.answer,
                "position": entry.position,
            }
        )
        status = 200
    context = {"entry": entry, "form": form}
    return console_render(
        request, "reports/app_settings/faq_edit.html", mini_app, context, status=status
    )


@login_required
@require_POST
def faq_delete(request: HttpRequest, app_slug: str, entry_id: int) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    entry = selectors.faq_entry_for_app(mini_app=mini_app, entry_id=entry_id)
    services.faq_entry_delete(entry=entry, actor=request.user)
    messages.success(request, f"Deleted “{entry.question}” from the FAQ.")
    return redirect(_settings_url(mini_app, "faq"))


def _back_to(request: HttpRequest, mini_app: MiniApp) -> str:
    # The secret's controls are on both pages; answer on the page the owner used.
    if request.POST.get("page") == "integration":
        return reverse("reports:integration", args=[mini_app.slug])
    return reverse("reports:app_settings", args=[mini_app.slug])


@login_required
@require_POST
def secret_reveal(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    revealed = services.signing_secret_reveal(mini_app=mini_app, actor=request.user)
    # Rendered, not redirected: the secret is never in a URL, a message or the session.
    if request.POST.get("page") == "integration":
        return _integration_render(request, mini_app, revealed_secret=revealed)
    return _settings_render(request, mini_app, revealed_secret=revealed)


@login_required
@require_POST
def secret_rotate(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = _app_for_owner(request, app_slug)
    try:
        services.signing_secret_rotate(
            mini_app=mini_app,
            actor=request.user,
            seen_rotated_at=request.POST.get("rotated_at", ""),
        )
    except services.SecretRotatedMeanwhile:
        messages.warning(
            request,
            "The secret was rotated a moment ago (a second click, or another owner), so it was "
            "not rotated again: the previous secret keeps its 24 hours.",
        )
        return redirect(_back_to(request, mini_app) + "#signing-secret")
    until = mini_app.signing_secret_rotated_at + SECRET_GRACE
    messages.success(
        request,
        "A new signing secret is active now. The previous one keeps working until "
        f"{when_zone_text(until)}: "
        "reveal the new one and put it on your server before then.",
    )
    return redirect(_back_to(request, mini_app) + "#signing-secret")


# --- Integration


def _integration_render(
    request: HttpRequest, mini_app: MiniApp, *, status: int = 200, **extra
) -> HttpResponse:
    api_base = f"{settings.SITE_URL}/api/v1/apps/{mini_app.slug}"
    context = {
        "page": selectors.secret_state(mini_app=mini_app, now=timezone.now()),
        "site_url": settings.SITE_URL,
        "api_base": api_base,
        "help_url": settings.SITE_URL + reverse("tickets:help_home", args=[mini_app.slug]),
        "link_form": SignedLinkForm(),
        "can_sign_links": mini_app.member_role in HANDLING_ROLES,
        "open_id_max_hours": OPEN_ID_MAX_AGE // 3600,
        "api_max_minutes": API_MAX_SKEW // 60,
        "grace_hours": SECRET_GRACE_HOURS,
        **extra,
    }
    return console_render(
        request, "reports/app_settings/integration.html", mini_app, context, status=status
    )


@login_required
@require_GET
def integration(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    if "open_id" not in request.GET:
        return _integration_render(request, mini_app)
    # The generator is a GET form: the link is made on the server, no JavaScript needed.
    form = SignedLinkForm(request.GET)
    if not form.is_valid():
        return _integration_render(request, mini_app, status=422, link_form=form)
    link = services.signed_link_generate(
        mini_app=mini_app, actor=request.user, open_id=form.cleaned_data["open_id"]
    )
    return _integration_render(request, mini_app, link_form=form, signed_link=link)


@login_required
@require_POST
def test_report(request: HttpRequest, app_slug: str) -> HttpResponse:
    mini_app = mini_app_for_member(user=request.user, slug=app_slug)
    report = services.report_test_file(mini_app=mini_app, actor=request.user)
    messages.success(
        request,
        f"Test report {report.report_id} filed. It is in User reports like any other: "
        "resolve or dismiss it when you are done.",
    )
    return redirect("reports:report_detail", app_slug=mini_app.slug, report_id=report.report_id)
