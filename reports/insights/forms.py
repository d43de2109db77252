from datetime import date, timedelta

from django import forms

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Dates"),
]
LONGEST_DAYS = 366
# Bounds what a custom period may ask of date arithmetic (the previous period, the day after).
EARLIEST_DAY = date(2000, 1, 1)


class InsightsPeriodForm(forms.Form):
    """The period, as local days of the viewer's timezone: the last 7/30/90 days (today
    included), or from–to dates."""

    period = forms.ChoiceField(label="Period", choices=PERIODS, required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def clean(self):
        data = super().clean()
        period = data.get("period") or "30"
        if period != "custom":
            days = int(period)
            data["period"] = period
            data["start"], data["end"] = self.today - timedelta(days=days - 1), self.today
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            raise forms.ValidationError("Choose both dates: “From” and “To”.")
        if start > end:
            raise forms.ValidationError(
                "The “From” date is after the “To” date. Pick a start date on or before the end."
            )
        if start < EARLIEST_DAY:
            raise forms.ValidationError(f"Choose a “From” date in {EARLIEST_DAY.year} or later.")
        if end > self.today:
            raise forms.ValidationError(
                "The “To” date is in the future: choose today at the latest."
            )
        if (end - start).days + 1 > LONGEST_DAYS:
            raise forms.ValidationError(f"Choose at most {LONGEST_DAYS} days.")
        return data
