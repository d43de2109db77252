from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Help center"

    def ready(self) -> None:
        # Webhooks (reports.webhooks) send each report as the handling API shows it; reports
        # never imports tickets, so the serializer is handed over through reports.hooks.
        from reports.hooks import report_json_register

        from .handling_api import report_json

        report_json_register(report_json)
