"""Search expressions: the full-text match on a report's details, the console's search words,
and the plan a word search runs under on PostgreSQL.

The console's list (reports/filters.py, reports/selectors.py) and the help center's duplicate
lookup (tickets/selectors.py) both search from here.
"""

import re

from django.db import OperationalError, connection, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from .models import Report


class DetailsMatch(Func):
    """PostgreSQL full-text match on the stored vector of the details (migration 0004, GIN
    indexed), a column the ORM does not model: it is named here, next to the details column.

    `query` is to_tsquery syntax (the console's prefix search); with plain_words=True it is
    plain text, every word of which must appear, and text without any word ("!!!") matches
    every row instead of none (the help center's duplicate lookup narrows by it, no more).
    """

    output_field = BooleanField()

    def __init__(self, query: str, *, plain_words: bool = False):
        self.plain_words = plain_words
        super().__init__(F("details"), Value(query))

    def as_sql(self, compiler, connection, **extra_context):
        details_sql, column_params = compiler.compile(self.source_expressions[0])
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        # `"alias"."details"` -> `"alias"."details_search"`: the same row, its stored vector.
        vector_sql = details_sql[: details_sql.rfind(".") + 1] + connection.ops.quote_name(
            "details_search"
        )
        if not self.plain_words:
            return (
                f"{vector_sql} @@ to_tsquery('simple'::regconfig, {query_sql})",
                [*column_params, *query_params],
            )
        # The guard depends on the parameter only, so the planner folds it away.
        query = f"plainto_tsquery('simple'::regconfig, {query_sql})"
        return (
            f"(numnode({query}) = 0 OR {vector_sql} @@ {query})",
            [*query_params, *column_params, *query_params],
        )


SEARCH_WORD = re.compile(r"[^\s'\\:&|!()<>*]+")


def prefix_tsquery(text: str) -> str:
    """Every word must appear, the last ones as prefixes too, so search works as you type."""
    words = SEARCH_WORD.findall(text.lower())[:8]
    return " & ".join(f"'{word}':*" for word in words)


def details_q(text: str) -> Q:
    """All the words in the details: full-text on PostgreSQL, LIKE elsewhere."""
    if connection.vendor == "postgresql":
        tsquery = prefix_tsquery(text)
        return Q(DetailsMatch(tsquery)) if tsquery else Q(pk__in=[])
    words = text.split()[:8]
    return Q(*[Q(details__icontains=word) for word in words]) if words else Q(pk__in=[])


# A word search has two good plans and the planner cannot tell them apart on skewed text:
# common words: walk the sort's index and check each row's stored vector, the page fills within
# a few hundred rows; rare words: read the full-text index and sort the few matches. The first is
# tried under a short statement timeout; if it runs out, the second answers. Same rows either way.
WORD_SEARCH_WALK_TIMEOUT_MS = 60


PLANNER_SETTINGS = (
    "enable_bitmapscan",
    "enable_seqscan",
    "enable_indexscan",
    "enable_indexonlyscan",
    "max_parallel_workers_per_gather",
    "statement_timeout",
)


def _set(cursor, **settings) -> None:
    for name, value in settings.items():
        cursor.execute(f"SET LOCAL {name} = {value}")


def word_search_rows(page_query: QuerySet) -> list[Report]:
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            _set(cursor, enable_bitmapscan="off", enable_seqscan="off")
            _set(cursor, max_parallel_workers_per_gather=0)
            _set(cursor, statement_timeout=WORD_SEARCH_WALK_TIMEOUT_MS)
            try:
                with transaction.atomic():  # a savepoint: a cancelled walk leaves the rest usable
                    return list(page_query.all())
            except OperationalError:
                pass
            _set(cursor, statement_timeout=0, enable_bitmapscan="on")
            _set(cursor, enable_indexscan="off", enable_indexonlyscan="off")
            return list(page_query.all())
        finally:
            # SET LOCAL lasts to the end of the outermost transaction, which may not be ours
            # (ATOMIC_REQUESTS, tests): put everything back now.
            for name in PLANNER_SETTINGS:
                cursor.execute(f"SET LOCAL {name} TO DEFAULT")
