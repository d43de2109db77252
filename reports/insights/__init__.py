"""Insights: hourly rollups of what the reports say, and the page that charts them."""

from .rollups import (  # noqa: F401
    decision_counts,
    received_counts,
    report_decision_counts,
    rollup_add,
)
