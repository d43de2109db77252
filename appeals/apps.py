from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = "Appeals"

    def ready(self) -> None:
        # The console navigation and the reporter's status page (reports' and tickets' views)
        # show appeals through reports.hooks: neither app imports appeals.
        from reports.hooks import console_nav_link_register, report_status_box_register

        from .selectors import appeal_status_box, appeals_nav_link

        console_nav_link_register(appeals_nav_link)
        report_status_box_register(appeal_status_box)
