"""Every read the appeal pages need, with its queries visible here."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from reports.hooks import NavLink
from reports.models import Category, MiniApp, Report, Status

from .filters import AppealFilter
from .models import Appeal, AppealScreenshot

APPEALS_PER_PAGE = 25


@dataclass(frozen=True)
class Eligibility:
    """Whether the reporter may appeal now, and if not, the explanation they read."""

    allowed: bool
    reason: str = ""
    # The latest appeal of the report, if any (its state, outcome and reply).
    latest: Appeal | None = None


def appeal_eligibility(*, report: Report) -> Eligibility:
    """The one rule for who may appeal, used by the page, the POST and the service."""
    latest = report.appeals.order_by("-created_at", "-id").first()
    if report.category != Category.PAYMENT:
        return Eligibility(
            False,
            _(
                "Appeals are available for payment and order reports only. If you still need "
                "help with this problem, please file a new report."
            ),
            latest,
        )
    if report.status == Status.PENDING:
        return Eligibility(
            False,
            _(
                "This report is still being handled. You can appeal once the team has resolved "
                "or dismissed it."
            ),
            latest,
        )
    if latest is not None and latest.is_open:
        return Eligibility(
            False,
            _("Your appeal of this decision is being reviewed. We will e-mail you the outcome."),
            latest,
        )
    # Handled again only by a resolve/dismiss after the decision; an overturn's own new
    # decision is stamped with the appeal's decision time, so it is not appealable again.
    if latest is not None and report.handled_at <= latest.decided_at:
        return Eligibility(
            False,
            _(
                "This decision has already been reviewed on appeal. You can appeal again only "
                "if the report is handled again."
            ),
            latest,
        )
    return Eligibility(True, "", latest)


def appeals_for_app(*, mini_app: MiniApp, params: QueryDict) -> tuple[AppealFilter, Page]:
    """The appeals queue: filtered, searched and sorted from the query string, paginated.

    Unsorted, open appeals come first (oldest, the most urgent, on top), then decided ones,
    most recently decided first.
    """
    queryset = Appeal.objects.filter(mini_app=mini_app).select_related(
        "report", "report__issue_type", "decided_by"
    )
    appeal_filter = AppealFilter(params, queryset=queryset)
    appeals = appeal_filter.qs
    if not params.get("o"):
        appeals = appeals.annotate(
            open_first=Case(
                When(state=Appeal.State.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by(
            "open_first",
            Case(When(state=Appeal.State.OPEN, then=F("created_at"))).asc(),
            F("decided_at").desc(nulls_last=True),
            "id",
        )
    paginator = Paginator(appeals, APPEALS_PER_PAGE)
    page = paginator.get_page(params.get("page"))
    page.object_list = list(page.object_list)  # read here, not while the template renders
    return appeal_filter, page


def appeal_for_member(*, mini_app: MiniApp, appeal_id: int) -> Appeal:
    """One appeal of the member's app, with its report; a 404 for any other app's appeal."""
    appeal = (
        Appeal.objects.filter(mini_app=mini_app, pk=appeal_id)
        .select_related("report", "report__issue_type", "report__handled_by", "decided_by")
        .prefetch_related("screenshots", "report__screenshots")
        .first()
    )
    if appeal is None:
        raise Http404("No such appeal.")
    return appeal


def appeal_screenshot_for_member(
    *, mini_app: MiniApp, appeal_id: int, position: int
) -> AppealScreenshot:
    """One screenshot of an appeal of the member's app; a 404 for anything else."""
    shot = AppealScreenshot.objects.filter(
        appeal__mini_app=mini_app, appeal_id=appeal_id, position=position
    ).first()
    if shot is None:
        raise Http404("No such screenshot.")
    return shot


def appeals_open_count(*, mini_app: MiniApp) -> int:
    return Appeal.objects.filter(mini_app=mini_app, state=Appeal.State.OPEN).count()


# Registered with reports.hooks in AppealsConfig.ready(): what appeals adds to pages reports and
# tickets serve (they cannot import appeals).


def appeals_nav_link(*, mini_app: MiniApp, path: str) -> NavLink:
    """The console navigation's "Appeals" link, with the open count as its badge."""
    return NavLink(
        "Appeals",
        reverse("appeals:appeal_list", kwargs={"app_slug": mini_app.slug}),
        "/appeals/" in path,
        badge=appeals_open_count(mini_app=mini_app),
        badge_label="open",
    )


def appeal_status_box(*, report: Report) -> dict | None:
    """The status page's appeal box of a payment report: the appeal link, or why not, or the
    latest appeal's outcome. The page has already checked the reporter's key."""
    if report.category != Category.PAYMENT:
        return None
    eligibility = appeal_eligibility(report=report)
    return {
        "template": "appeals/_status_appeal.html",
        "eligibility": eligibility,
        "appeal": eligibility.latest,
    }
