"""The console list page taken apart, for bench/console.py: run in the served app's environment
(DEBUG off, the bench database), it prints one JSON line of medians in milliseconds:

- keyset_sql: the page's own SELECT (the 50 rows of the default list), bare, via the driver;
- statements: every statement a request for the page makes (session, user, app, catalogue, tab
  counts, page, screenshots, navigation), replayed one after another;
- minimal_render: a plain template of the same 50 rows: one table row per report with its ten
  cells' values, no tags but the loop and the variables;
- view: the whole request through Django in this process (the test client: middleware, view,
  queries and the page's real templates, no HTTP);
- page_render: the page's templates alone, on the context the view built.

bench/console.py sets these beside the page's time over HTTP, so Django's overhead is a ratio.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

# This checkout's apps, not those of the editable install the virtualenv may point elsewhere.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Context, Template, loader  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from reports import views  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_PART_ROUNDS", "200"))

MINIMAL_ROW = Template(
    "<table>{% for r in rows %}<tr><td><input type=checkbox value={{ r.report_id }}></td>"
    "<td>{{ r.report_id }}</td><td>{{ r.open_id }}</td><td>{{ r.issue_type }}</td>"
    "<td>{{ r.details }}</td><td>{{ r.created_at }}</td><td>{{ r.order_id }}</td>"
    "<td>{{ r.screenshots }}</td><td>{{ r.status }}</td><td><a href=/{{ r.report_id }}/>"
    "More</a></td></tr>{% endfor %}</table>"
)


def median_ms(fn, rounds: int = ROUNDS) -> float:
    for _ in range(5):
        fn()
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main(user_email: str, path: str) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(email=user_email))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    statements = [q["sql"] for q in captured.captured_queries]
    page_sql = next(s for s in statements if s.startswith('SELECT "reports_report"."id",'))

    def run(sql: str) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def replay() -> None:
        for sql in statements:
            run(sql)

    with connection.cursor() as cursor:
        cursor.execute(page_sql)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()][:50]
    context = Context({"rows": rows})

    built = {}
    real_render = views.render

    def keep_context(request, template, context, **kwargs):
        built.update(request=request, template=template, context=context)
        return real_render(request, template, context, **kwargs)

    views.render = keep_context
    client.get(path)
    views.render = real_render
    template = loader.get_template(built["template"])

    figures = {
        "keyset_sql": median_ms(lambda: run(page_sql)),
        "statements": median_ms(replay),
        "statement_count": len(statements),
        "minimal_render": median_ms(lambda: MINIMAL_ROW.render(context)),
        "view": median_ms(lambda: client.get(path)),
        "page_render": median_ms(lambda: template.render(built["context"], built["request"])),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
