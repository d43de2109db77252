"""Recompute the insights rollups from the reports and their history; print the differences.

manage.py insights_rebuild [--app SLUG] [--check]

--check writes nothing and exits 1 on any difference (for a monitoring job). Without it, each
app's rollups are replaced by the recomputation. Run it after the first migration that adds
the rollups, and after deleting reports; while it replaces an app's rows, a change to that
app committed meanwhile may be lost (run it again, or at a quiet hour).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.insights.rebuild import (
    rollups_computed,
    rollups_differences,
    rollups_replace,
    rollups_stored,
)
from reports.models import MiniApp

SHOWN = 50  # differences printed per app; the count says how many there are


class Command(BaseCommand):
    help = "Recompute the insights rollups and report any difference (--check: only report)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app", default="", help="one mini app's slug (default: every app)")
        parser.add_argument(
            "--check", action="store_true", help="write nothing; exit 1 on any difference"
        )

    def handle(self, *args, **options) -> None:
        apps = MiniApp.objects.order_by("slug")
        if options["app"]:
            apps = apps.filter(slug=options["app"])
            if not apps.exists():
                raise CommandError(f"No mini app has the slug {options['app']!r}.")
        differing = 0
        for mini_app in apps:
            computed = rollups_computed(mini_app_id=mini_app.pk)
            stored = rollups_stored(mini_app_id=mini_app.pk)
            differences = rollups_differences(stored=stored, computed=computed)
            if differences:
                differing += 1
                self.stdout.write(f"{mini_app.slug}: {len(differences)} figures differ")
                for hour, measure, item, was, should in differences[:SHOWN]:
                    self.stdout.write(
                        f"  {hour.isoformat()} {measure} {item or '-'}: "
                        f"stored {was}, recomputed {should}"
                    )
                if len(differences) > SHOWN:
                    self.stdout.write(f"  ... and {len(differences) - SHOWN} more")
            else:
                self.stdout.write(f"{mini_app.slug}: rollups match ({len(computed)} figures)")
            if differences and not options["check"]:
                rollups_replace(mini_app_id=mini_app.pk, computed=computed)
                self.stdout.write(f"{mini_app.slug}: rollups replaced")
        if options["check"] and differing:
            raise CommandError(f"{differing} app(s) differ.", returncode=1)
