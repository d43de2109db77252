"""What an outer app adds to pages that reports and tickets serve, without them importing it.

`tickets -> reports <- appeals`: the console's navigation (reports' views) and the reporter's
status page (tickets' view) show something of appeals. appeals registers a provider here in its
AppConfig.ready(); the view asks reports.selectors (console_nav, report_status_boxes) for the
data, which runs each provider, so the page renders with its data already read and no template
tag queries.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool
    badge: int = 0  # shown beside the label when not 0 (e.g. open appeals)
    badge_label: str = ""  # what the badge counts, for screen readers


# Each provider gets (mini_app=, path=) and returns a NavLink.
CONSOLE_NAV_LINKS: list[Callable[..., NavLink]] = []
# Each provider gets (report=) and returns None or a dict: "template" (the box's template,
# which reads the rest of the dict as `box`) and its data.
REPORT_STATUS_BOXES: list[Callable[..., dict | None]] = []


def console_nav_link_register(provider: Callable[..., NavLink]) -> None:
    if provider not in CONSOLE_NAV_LINKS:
        CONSOLE_NAV_LINKS.append(provider)


def report_status_box_register(provider: Callable[..., dict | None]) -> None:
    if provider not in REPORT_STATUS_BOXES:
        REPORT_STATUS_BOXES.append(provider)


# The report as the handling API shows it (tickets.handling_api.report_json), which webhooks
# send as their payload's data: tickets registers it in its AppConfig.ready(), reports calls it.
REPORT_JSON: list[Callable[[Any], dict]] = []


def report_json_register(serializer: Callable[[Any], dict]) -> None:
    REPORT_JSON[:] = [serializer]


def report_json(report) -> dict:
    if not REPORT_JSON:  # tickets not installed (never so in this project): the bare facts
        return {"report_id": report.report_id, "status": report.status}
    return REPORT_JSON[0](report)
