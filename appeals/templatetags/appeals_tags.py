"""Hooks other apps' templates use to show appeals, without importing appeals in Python.

{% load appeals_tags %}
{% appeal_status report %}       on the reporter's keyed status page
{% appeals_nav_link mini_app %}  in the console navigation, with the open-appeals badge
"""

from django import template

from reports.models import MiniApp, Report

from .. import selectors

register = template.Library()


@register.inclusion_tag("appeals/_status_appeal.html")
def appeal_status(report: Report) -> dict:
    # The status page has already checked the reporter's key; the link carries it on.
    eligibility = selectors.appeal_eligibility(report=report)
    return {
        "report": report,
        "mini_app": report.mini_app,
        "eligibility": eligibility,
        "appeal": eligibility.latest,
    }


@register.inclusion_tag("appeals/_nav_link.html", takes_context=True)
def appeals_nav_link(context, mini_app: MiniApp) -> dict:
    request = context.get("request")
    return {
        "mini_app": mini_app,
        "open_count": selectors.appeals_open_count(mini_app=mini_app),
        "current": bool(request and "/appeals/" in request.path),
    }
