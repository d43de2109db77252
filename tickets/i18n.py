"""Strings the help center shows that come from the shared schema or the image pipeline.

They are defined in `reports` (which has no translations of its own), so they are listed here
for makemessages; the templates and views translate them with gettext at display time.
"""

from django.utils.translation import gettext_noop

CATALOGUE_STRINGS = [
    # Categories
    gettext_noop("Experience and usage"),
    gettext_noop("Payment and orders"),
    gettext_noop("Community Guidelines violation"),
    # Statuses and public history
    gettext_noop("Pending"),
    gettext_noop("Resolved"),
    gettext_noop("Dismissed"),
    gettext_noop("Report received"),
    gettext_noop("Reopened"),
    gettext_noop("Appeal received"),
    gettext_noop("Appeal upheld"),
    gettext_noop("Appeal overturned"),
    # Issue types (reports/migrations/0002_issue_type_catalogue.py)
    gettext_noop("App crashes or freezes"),
    gettext_noop("Feature not working"),
    gettext_noop("Slow or unresponsive"),
    gettext_noop("Content not loading"),
    gettext_noop("Login or account problem"),
    gettext_noop("Other"),
    gettext_noop("Charged but order not received"),
    gettext_noop("Refund request"),
    gettext_noop("Charged twice"),
    gettext_noop("Wrong amount charged"),
    gettext_noop("Subscription problem"),
    gettext_noop("Harassment or bullying"),
    gettext_noop("Hate speech"),
    gettext_noop("Violence or dangerous acts"),
    gettext_noop("Nudity or sexual content"),
    gettext_noop("Scam or fraud"),
    gettext_noop("Intellectual property"),
    gettext_noop("Spam"),
    # reports.screenshots messages
    gettext_noop("This image is larger than 10 MB. Please attach a smaller screenshot."),
    gettext_noop("This file is empty."),
    gettext_noop(
        "This file is not a PNG, JPEG or WebP image. Please attach a screenshot in one of "
        "those formats."
    ),
    gettext_noop("This image appears to be damaged or incomplete. Please attach it again."),
    gettext_noop(
        "This image has too many pixels (at most 40 megapixels). Please attach a smaller "
        "screenshot."
    ),
]
