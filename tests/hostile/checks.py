"""What every hostile request must satisfy, in one place."""

from django.utils.html import escape

# Django's forms.CharField (strip=True, the default) trims leading and trailing whitespace as
# str.strip() does: also \x0b, \x0c, \x1c-\x1f, \x85 and Unicode spaces. That trim is the one
# normalisation of reporter text; everything else is stored exactly as sent.


def stripped(value: str) -> str:
    return value.strip()


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def assert_not_server_error(response) -> None:
    assert response.status_code < 500, body(response)[:500]


def form_errors(response, name: str = "form", form=None) -> dict[str, list[str]]:
    # An HTMX partial render keeps no response.context: then the caller binds the same form.
    form = form if form is not None else response.context[name]
    return {field: list(errors) for field, errors in form.errors.items()}


def assert_errors_shown(response, name: str = "form", form=None) -> dict[str, list[str]]:
    """The form was refused, and every one of its messages is on the page the person sees."""
    errors = form_errors(response, name, form)
    assert errors, "refused without saying why"
    page = body(response)
    for messages in errors.values():
        for message in messages:
            assert escape(message) in page, f"message not shown: {message!r}"
    return errors


def char_field_ok(value: str, limit: int, *, required: bool = True) -> bool:
    """Whether a Django CharField(max_length=limit) accepts the value."""
    if "\x00" in value:  # ProhibitNullCharactersValidator: "Null characters are not allowed."
        return False
    cleaned = stripped(value)
    return len(cleaned) <= limit and (bool(cleaned) or not required)
