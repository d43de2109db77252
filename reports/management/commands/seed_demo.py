"""Create (or update) a demo tenant with realistic reports, fast enough for a million rows."""

import io
import random
import sys
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.db import IntegrityError, reset_queries, transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from reports.insights import rollup_add
from reports.insights.rebuild import report_counts
from reports.models import (
    Category,
    IssueType,
    Membership,
    MiniApp,
    Report,
    ReportEvent,
    Screenshot,
    Status,
    new_access_key,
    new_report_id,
    new_signing_secret,
)

BATCH = 5_000
SPREAD = timedelta(days=10)

DETAILS = {
    Category.EXPERIENCE: [
        "The app closes as soon as I open the cart. It started after today's update. "
        "Android 14, app version 3.2.1.",
        "Search shows a spinner forever. I tried on Wi-Fi and mobile data.",
        "Pictures in the feed stay grey and never load since yesterday evening.",
        "I cannot log in: it says 'session expired' right after I enter the code.",
        "Tapping 'Save' on my profile does nothing. No error message appears.",
        "The map page takes more than 30 seconds to open on my iPhone 12.",
    ],
    Category.PAYMENT: [
        "I paid 12.99 but the order still says 'awaiting payment'. Money left my account.",
        "I was charged twice for the same order at 14:02, please refund one of them.",
        "The price in the cart was 8.50 but I was charged 85.00.",
        "I cancelled my subscription last month and was charged again today.",
        "Please refund this order, the item never arrived and the seller does not answer.",
    ],
}
NOTES = [
    "Checked the payment logs: duplicate charge confirmed, refund issued.",
    "Could not reproduce on 3.2.2; asked the reporter to update.",
    "Known issue, fixed in the next release.",
    "Not a violation of the guidelines after review.",
    "Escalated to the payments team; refund done.",
]


class Command(BaseCommand):
    help = "Create or update a demo mini app, its developer and N realistic reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app", default="demo", help="mini app slug (default: demo)")
        parser.add_argument("--user", default="demo@example.com", help="developer e-mail")
        parser.add_argument("--password", default="demo", help="developer password")
        parser.add_argument("--secret", default="", help="signing secret (default: random)")
        parser.add_argument("--reports", type=int, default=300, help="reports to add")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any mini app exists"
        )
        parser.add_argument("--seed", type=int, default=None, help="random seed")

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and MiniApp.objects.exists():
            self.stdout.write("Demo data skipped: the database already has mini apps.")
            return
        rng = random.Random(options["seed"])
        mini_app, created = self._mini_app(options["app"], options["secret"])
        user = self._developer(options["user"], options["password"], mini_app)
        count = options["reports"]
        started = time.monotonic()
        self._reports(mini_app, count, rng)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Created' if created else 'Updated'} mini app '{mini_app.slug}' "
                f"(signing secret {mini_app.signing_secret}).\n"
                f"Developer: {user.username} / password {options['password']!r}.\n"
                f"Added {count} reports in {elapsed:.1f} s.\n"
                f"Console: {settings.SITE_URL}/console/{mini_app.slug}/reports/\n"
                f"Help center: {settings.SITE_URL}/help/{mini_app.slug}/"
            )
        )

    def _mini_app(self, slug: str, secret: str) -> tuple[MiniApp, bool]:
        mini_app, created = MiniApp.objects.get_or_create(
            slug=slug,
            defaults={
                "name": slug.replace("-", " ").title(),
                "support_email": f"support@{slug}.example.com",
                # Demo data: shown on the appeal pages as a confirmed address would be.
                "support_email_verified_at": timezone.now(),
                "signing_secret": secret or new_signing_secret(),
            },
        )
        if secret and mini_app.signing_secret != secret:
            mini_app.signing_secret = secret
            mini_app.save(update_fields=["signing_secret"])
        return mini_app, created

    def _developer(self, email: str, password: str, mini_app: MiniApp):
        user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
        user.set_password(password)
        user.save()
        # The demo developer owns the demo app (the team, the settings, every page).
        Membership.objects.update_or_create(
            mini_app=mini_app, user=user, defaults={"role": Membership.Role.OWNER}
        )
        return user

    def _reports(self, mini_app: MiniApp, count: int, rng: random.Random) -> None:
        issue_types: dict[str, list[IssueType]] = {}
        for issue_type in IssueType.objects.all():
            issue_types.setdefault(issue_type.category, []).append(issue_type)
        images = _screenshot_pool(rng) if count else []
        now = timezone.now()
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            self._batch(mini_app, size, rng, issue_types, images, now)
            reset_queries()  # under DEBUG, Django keeps every (huge) INSERT in memory
            done += size
            if count >= BATCH:
                self._progress(done, count)
        if count >= BATCH:
            self.stdout.write("")

    def _batch(self, mini_app, size, rng, issue_types, images, now) -> None:
        reports = [_fake_report(mini_app, rng, issue_types, now) for _ in range(size)]
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    Report.objects.bulk_create(reports)
                    _events_and_screenshots(reports, rng, images)
                    _rollups_add(mini_app, reports)
                return
            except IntegrityError:
                # A random report ID collided with an existing one: draw new ones.
                for report in reports:
                    report.pk = None
                    report.report_id = new_report_id()
        raise RuntimeError("Could not insert a batch of demo reports.")

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        sys.stdout.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} reports")
        sys.stdout.flush()


def _rollups_add(mini_app, reports) -> None:
    """The insights count the demo reports as the services would have (docs/INSIGHTS.md)."""
    counts = Counter()
    for r in reports:
        counts.update(
            report_counts(
                r.created_at,
                r.category,
                r.issue_type_id,
                r.source,
                r.status,
                r.handled_at,
                r.dismiss_reason,
                r.past_due_at,
            )  # fmt: skip
        )
    rollup_add(mini_app_id=mini_app.pk, counts=counts)


def _fake_report(mini_app, rng: random.Random, issue_types, now) -> Report:
    category = rng.choice(Category.values)
    created_at = now - SPREAD * rng.random()
    due_at = Report.due_from(created_at)
    overdue = due_at <= now
    handled = rng.random() < (0.8 if overdue else 0.35)
    status = (
        rng.choice([Status.RESOLVED, Status.RESOLVED, Status.DISMISSED])
        if handled
        else (Status.PENDING)
    )
    handled_at = None
    if handled:
        latest = min(now, created_at + timedelta(hours=90))
        handled_at = created_at + (latest - created_at) * rng.random()
    # Pending past the deadline: marked. Handled after it: marked before it was handled.
    late = overdue and (not handled or handled_at > due_at)
    return Report(
        report_id=new_report_id(),
        access_key=new_access_key(),
        mini_app=mini_app,
        category=category,
        issue_type=rng.choice(issue_types[category]),
        details="" if category == Category.COMMUNITY else rng.choice(DETAILS[category]),
        order_id=f"ORD-{rng.randrange(10**9):09d}" if category == Category.PAYMENT else "",
        contact_email=f"user{rng.randrange(10**6)}@example.net" if rng.random() < 0.4 else "",
        open_id=f"ou_{rng.getrandbits(64):016x}" if rng.random() < 0.6 else "",
        source=rng.choice([Report.Source.HELP_CENTER, Report.Source.API]),
        status=status,
        created_at=created_at,
        due_at=due_at,
        past_due_at=due_at + timedelta(seconds=rng.randrange(1, 60)) if late else None,
        handled_at=handled_at,
        notes=rng.choice(NOTES) if handled and rng.random() < 0.6 else "",
    )


def _events_and_screenshots(reports: list[Report], rng: random.Random, images) -> None:
    Kind = ReportEvent.Kind
    events, shots = [], []
    for report in reports:
        events.append(ReportEvent(report=report, kind=Kind.SUBMITTED, created_at=report.created_at))
        if report.past_due_at:
            events.append(
                ReportEvent(report=report, kind=Kind.PAST_DUE, created_at=report.past_due_at)
            )
        if report.handled_at:
            if report.notes:
                events.append(
                    ReportEvent(
                        report=report,
                        kind=Kind.NOTES_EDITED,
                        created_at=report.handled_at,
                        data={"notes": report.notes},
                    )
                )
            events.append(
                ReportEvent(report=report, kind=report.status, created_at=report.handled_at)
            )
        wants_screenshot = report.category == Category.COMMUNITY or rng.random() < 0.2
        if wants_screenshot and images:
            image_name, thumb_name, width, height = rng.choice(images)
            shots.append(
                Screenshot(
                    report=report,
                    image=image_name,
                    thumbnail=thumb_name,
                    content_type="image/png",
                    width=width,
                    height=height,
                    size=1,
                    created_at=report.created_at,
                )
            )
    ReportEvent.objects.bulk_create(events)
    Screenshot.objects.bulk_create(shots)


def _screenshot_pool(rng: random.Random) -> list[tuple[str, str, int, int]]:
    """A few generated phone screenshots, stored once and shared by the demo reports."""
    pool = []
    for index in range(6):
        width, height = 390, 844
        image = Image.new("RGB", (width, height), (245, 246, 248))
        draw = ImageDraw.Draw(image)
        hue = rng.randrange(256)
        draw.rectangle([0, 0, width, 90], fill=(hue, 90, 200 - hue // 2))
        for row in range(6):
            top = 120 + row * 110
            draw.rounded_rectangle([20, top, width - 20, top + 90], 12, fill=(255, 255, 255))
            draw.text((36, top + 20), f"Demo item {index}-{row}", fill=(30, 30, 30))
        pool.append((_store(image, "image"), _store(_thumb(image), "thumb"), width, height))
    return pool


def _thumb(image: Image.Image) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((320, 320))
    return copy


def _store(image: Image.Image, prefix: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return default_storage.save(f"screenshots/demo-{prefix}.png", ContentFile(buffer.getvalue()))
