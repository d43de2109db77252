"""Create a mini app with its first owner in one step: the owner is e-mailed an invitation.

manage.py app_create "Acme Shop" --owner ana@acme.example [--slug acme] [--support-email ...]
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.utils.text import slugify

from reports.forms import validate_display_name
from reports.team.services import mini_app_create


class Command(BaseCommand):
    help = "Create a mini app and e-mail its first owner an invitation (valid 7 days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the mini app's name, as reporters see it")
        parser.add_argument("--owner", required=True, help="the first owner's e-mail address")
        parser.add_argument("--slug", default="", help="URL name (default: from the name)")
        parser.add_argument(
            "--support-email", default="", help="shared with appealing reporters (default: owner)"
        )

    def handle(self, *args, **options) -> None:
        name, owner = options["name"].strip(), options["owner"].strip()
        slug = options["slug"] or slugify(name)
        try:
            try:
                validate_email(owner)
            except ValidationError:
                raise ValidationError(
                    f"Enter a valid e-mail address for --owner, not {owner!r}."
                ) from None
            validate_display_name(name)
            mini_app, invitation = mini_app_create(
                name=name,
                slug=slug,
                support_email=options["support_email"] or owner,
                owner_email=owner,
            )
        except ValidationError as error:
            messages = getattr(error, "message_dict", None) or {"": error.messages}
            lines = [
                f"{field}: {'; '.join(m)}" if field else "; ".join(m)
                for field, m in messages.items()
            ]
            raise CommandError("Not created. " + " ".join(lines)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created mini app '{mini_app.name}' (/console/{mini_app.slug}/). "
                f"Invitation e-mailed to {invitation.email}; the link is valid for 7 days."
            )
        )
