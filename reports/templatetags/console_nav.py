"""The console header's app switcher: {% load console_nav %}{% app_switcher mini_app %}."""

from django import template

from reports.models import MemberRole, MiniApp
from reports.selectors import mini_apps_for_user

register = template.Library()


@register.inclusion_tag("reports/_app_switcher.html", takes_context=True)
def app_switcher(context, mini_app: MiniApp) -> dict:
    user = context["request"].user
    labels = dict(MemberRole.choices)
    mini_apps = [(app, labels.get(app.member_role, "")) for app in mini_apps_for_user(user=user)]
    return {"mini_app": mini_app, "mini_apps": mini_apps}
