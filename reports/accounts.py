"""Developers' accounts: sign-in by e-mail address (any case) and a throttled password reset
whose e-mail goes through the durable outbox.

Django's own views do the work (config/urls.py); this module only changes how a user is found
and how the reset e-mail leaves.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.db.models import Q
from django.template import loader

from .outbox import email_enqueue
from .throttling import CACHE_ERRORS, cache_count, cache_down_warn, client_ip

RESET_KEY_PREFIX = "password-reset"


class EmailOrUsernameBackend(ModelBackend):
    """Sign in with the e-mail address or the username, whatever their case.

    Two accounts whose addresses differ only in case: the exact username wins, otherwise
    nobody is signed in (rather than guessing)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = username.strip()
        candidates = list(
            User._default_manager.filter(
                Q(username__iexact=username) | Q(email__iexact=username)
            ).order_by("pk")[:3]
        )
        exact = [user for user in candidates if user.get_username() == username]
        if exact:
            user = exact[0]
        elif len(candidates) == 1:
            user = candidates[0]
        else:
            User().set_password(password)  # the same time as a wrong password: no enumeration
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def password_reset_allowed(*, email: str, ip: str) -> tuple[bool, bool]:
    """(address allowed, e-mail allowed): one fixed window of an hour for each.

    Fails open (both allowed) with the cache down: a reset must stay possible."""
    hour = 3600
    email_key = f"{RESET_KEY_PREFIX}:email:{email.strip().casefold()}"
    address_key = f"{RESET_KEY_PREFIX}:addr:{ip}"
    address_ok = cache_count(address_key, timeout=hour) <= settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    email_ok = cache_count(email_key, timeout=hour) <= settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    return address_ok, email_ok


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, throttled per address (a message says so: it reveals nothing about
    accounts) and per e-mail address (silently: the page is the same whether or not an account
    exists, so nobody learns which addresses have one); the e-mail is queued in the outbox."""

    request = None
    email_throttled = False

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and self.request is not None:
            try:
                address_ok, email_ok = password_reset_allowed(
                    email=email, ip=client_ip(self.request)
                )
            except CACHE_ERRORS as error:
                cache_down_warn(self.request, "password reset throttle skipped", error)
                return cleaned
            if not address_ok:
                raise self.throttled_error()
            self.email_throttled = not email_ok
        return cleaned

    @staticmethod
    def throttled_error() -> forms.ValidationError:
        return forms.ValidationError(
            "Too many password reset requests from your network. Try again in an hour.",
            code="throttled",
        )

    def save(self, *args, **kwargs):
        if self.email_throttled:
            return None  # already e-mailed several times this hour: send nothing more
        return super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        email_enqueue(to=to_email, subject=subject, body=body)


class ThrottledPasswordResetView(PasswordResetView):
    form_class = ThrottledPasswordResetForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request  # the throttle counts per client address
        return form
