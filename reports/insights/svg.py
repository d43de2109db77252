"""The insights charts as server-rendered SVG: no script, no inline style (presentation
attributes only, so the CSP has nothing to allow), a viewBox so each scales to its column.
Every chart has its figures in a table beside it; the SVG is the picture of that table."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
PALETTE = ["#1d4ed8", "#b45309", "#7e22ce", "#047857", "#be123c"]
TEXT = "#1f2937"
GRID = "#d1d5db"


def _svg(title: str, height: int, body: list[str]) -> SafeString:
    label = escape(title)
    # A chart with links is a group of them (an img's children are presentational to
    # assistive technology, so links inside one could not be reached).
    role = "group" if any("<a " in part for part in body) else "img"
    return mark_safe(  # noqa: S308  every interpolated value is escaped or a number
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="{role}" '
        f'aria-label="{label}" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>{"".join(body)}</svg>'
    )


def _text(x, y, text, anchor="start", size=12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{TEXT}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def _bar(x, y, w, h, color, label, url) -> str:
    rect = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{color}"/>'
    if url:
        return f'<a href="{escape(url)}" aria-label="{escape(label)}">{rect}</a>'
    return rect


def _legend(names: list[str], y: float = 14) -> list[str]:
    parts, x = [], 48.0
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, y, name))
        x += 24 + 7 * len(name)
    return parts


def stacked_columns(title: str, series: list[dict], *, legend: bool = True) -> SafeString:
    """One column per entry ({"label", "parts": [(name, n, url)]}), its parts stacked."""
    height, top, bottom, left = 240, 28, 24, 44
    plot = height - top - bottom
    peak = max([sum(p[1] for p in entry["parts"]) for entry in series] + [1])
    step = (WIDTH - left - 8) / max(len(series), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - 8}" y2="{top + plot}" stroke="{GRID}"/>',
        _text(left - 6, top + 4, f"{peak:,}", "end"),
        _text(left - 6, top + plot, "0", "end"),
    ]
    if legend and series:
        body += _legend([name for name, _n, _url in series[0]["parts"]])
    for index, entry in enumerate(series):
        x, base = left + index * step, top + plot
        for part_index, (name, n, url) in enumerate(entry["parts"]):
            if not n:
                continue
            h = plot * n / peak
            base -= h
            color = PALETTE[part_index % len(PALETTE)]
            label = f"{entry['label']}: {name} {n}"
            body.append(_bar(x + step * 0.1, base, max(step * 0.8, 1), h, color, label, url))
    if series:
        body.append(_text(left, height - 6, series[0]["label"]))
        body.append(_text(WIDTH - 8, height - 6, series[-1]["label"], "end"))
    return _svg(title, height, body)


def horizontal_bars(title: str, series: list[dict]) -> SafeString:
    """One bar per entry ({"label", "value", "url", "extra"}), labelled, largest first."""
    row, left, right = 30, 230, 70
    height = max(len(series), 1) * row + 8
    peak = max([entry["value"] for entry in series] + [1])
    body = []
    for index, entry in enumerate(series):
        y = 4 + index * row
        w = (WIDTH - left - right) * entry["value"] / peak
        name = entry["label"] if len(entry["label"]) <= 34 else entry["label"][:33] + "…"
        body.append(_text(left - 8, y + 18, name, "end"))
        label = f"{entry['label']}: {entry['value']}"
        body.append(_bar(left, y + 4, max(w, 1), row - 10, PALETTE[0], label, entry["url"]))
        value = f"{entry['value']:,}" + (f" ({entry['extra']})" if entry["extra"] else "")
        body.append(_text(left + w + 6, y + 18, value))
    return _svg(title, height, body)


def lines(title: str, series: list[dict], names: list[str], *, percent: bool) -> SafeString:
    """One line per name through each entry's values ({"label", "values": [...]});
    a missing value (None) breaks nothing: that point is left out."""
    height, top, bottom, left = 220, 28, 24, 52
    plot = height - top - bottom
    values = [v for entry in series for v in entry["values"] if v is not None]
    peak = 1.0 if percent else max(values + [1.0])
    step = (WIDTH - left - 16) / max(len(series) - 1, 1)
    top_label = "100%" if percent else f"{peak:.0f} h"
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - 8}" y2="{top + plot}" stroke="{GRID}"/>',
        f'<line x1="{left}" y1="{top}" x2="{WIDTH - 8}" y2="{top}" stroke="{GRID}"/>',
        _text(left - 6, top + 4, top_label, "end"),
        _text(left - 6, top + plot, "0", "end"),
    ]
    if len(names) > 1:
        body += _legend(names)
    for line_index, _name in enumerate(names):
        color = PALETTE[line_index % len(PALETTE)]
        points = []
        for index, entry in enumerate(series):
            value = entry["values"][line_index]
            if value is None:
                continue
            x = left + (index * step if len(series) > 1 else (WIDTH - left) / 2)
            y = top + plot - plot * min(value / peak, 1)
            points.append((x, y))
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
    if series:
        body.append(_text(left, height - 6, series[0]["label"]))
        body.append(_text(WIDTH - 8, height - 6, series[-1]["label"], "end"))
    return _svg(title, height, body)


def chart_svg(chart) -> SafeString:
    if chart.slug in ("received", "past-due"):
        return stacked_columns(chart.title, chart.series, legend=chart.slug == "received")
    if chart.slug == "in-time":
        return lines(chart.title, chart.series, ["Share"], percent=True)
    if chart.slug == "time-to-decision":
        return lines(chart.title, chart.series, ["Median", "90th percentile"], percent=False)
    return horizontal_bars(chart.title, chart.series)
