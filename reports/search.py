"""Search expressions: the full-text match on a report's details, the console's search words,
and the plan a word search runs under on PostgreSQL.

The console's list (reports/filters.py, reports/selectors.py) and the help center's duplicate
lookup (tickets/selectors.py) both search from here.
"""

import bisect
import re
import time
from dataclasses import dataclass

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
# The pieces the text-search parser makes of a search word ("3.2.1", "wi-fi"), roughly.
LEXEME = re.compile(r"\w+")


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


# A word search has two good plans: a common word is found fastest by walking the sort's index and
# checking each row's stored vector (the page fills within a few hundred rows); a rare one by
# reading the full-text index and sorting the few matches. The planner prices the walk as if it
# read every row, so it cannot choose (and its estimate for a prefix, 'refu':*, is a constant).
# But the column's statistics know how common each word is: ANALYZE keeps the most common
# lexemes with the share of rows holding each, and a word that starts none of them is rarer
# than all of them. word_search_plan compares the rows each plan would read: the walk about
# page / (share matching), the index plan every match (in every app: the full-text index is
# the table's). Should a walk still be slow (a word
# common in other apps, absent from this one), a short statement timeout hands the page to the
# index plan. With no statistics yet (a new table), the walk is tried first. Same rows either way.
WORD_SEARCH_WALK_TIMEOUT_MS = 60
# A row of the index plan (bitmap, recheck, sort) costs about what a row of the walk does (index
# entry, heap row, vector check), measured on bench/console.py's million reports (docs/CONSOLE.md):
# the index plan is chosen while it reads at most this many times the walk's rows.
INDEX_PLAN_ROW_RATIO = 1.0
# PostgreSQL's own guess for a word missing from the statistics (tsearch's DEFAULT_TS_MATCH_SEL).
RARE_WORD_SHARE = 0.005
# The statistics are read again after this long: ANALYZE (autovacuum) renews them far less often,
# and reading pg_stats costs more than the search (its view's plan).
WORD_STATISTICS_MAX_AGE = 300.0

PLANNER_SETTINGS = (
    "enable_bitmapscan",
    "enable_seqscan",
    "enable_indexscan",
    "enable_indexonlyscan",
    "max_parallel_workers_per_gather",
    "statement_timeout",
)


@dataclass(frozen=True)
class WordStatistics:
    """What ANALYZE knows of the stored vector's words: the most common lexemes (sorted, for
    prefix lookups) with the running total of their shares of rows, and the least common share."""

    reports: float
    lexemes: list[str]
    running_shares: list[float]  # running_shares[i]: the shares of lexemes[:i], summed
    least_common: float
    read_at: float

    def prefix_share(self, prefix: str) -> float:
        """The share of reports with a word starting with `prefix` (the lexemes', summed)."""
        start = bisect.bisect_left(self.lexemes, prefix)
        end = bisect.bisect_left(self.lexemes, prefix + "\U0010ffff")
        if start == end:
            return min(RARE_WORD_SHARE, self.least_common / 2)
        return min(self.running_shares[end] - self.running_shares[start], 1.0)


_word_statistics: dict[str, WordStatistics | None] = {}


def word_statistics() -> WordStatistics | None:
    """The statistics of this database, read at most every WORD_STATISTICS_MAX_AGE seconds
    (None: not analyzed yet)."""
    key = connection.settings_dict["NAME"]
    cached = _word_statistics.get(key)
    if cached is not None and time.monotonic() - cached.read_at < WORD_STATISTICS_MAX_AGE:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'reports_report'::regclass), "
            "most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = 'reports_report' "
            "AND attname = 'details_search'"
        )
        row = cursor.fetchone()
    statistics = None
    if row and row[0] and row[0] > 0 and row[1]:
        pairs = sorted(zip(row[1], row[2], strict=False))
        running = [0.0]
        for _lexeme, share in pairs:
            running.append(running[-1] + share)
        statistics = WordStatistics(
            reports=float(row[0]),
            lexemes=[lexeme for lexeme, _share in pairs],
            running_shares=running,
            least_common=float(row[2][len(row[1])]),  # after the shares: the least, the most
            read_at=time.monotonic(),
        )
    _word_statistics[key] = statistics
    return statistics


def word_statistics_forget() -> None:
    """Read the statistics again on the next search (tests, after an ANALYZE)."""
    _word_statistics.clear()


@dataclass(frozen=True)
class WordSearchPlan:
    share: float | None  # at most this share of reports matches every word; None: unknown
    matches: float  # rows the index plan reads (every app's matches)
    walk_rows: float  # rows the walk reads to fill the page
    use_index: bool  # read the full-text index (rare words) rather than walk the sort's index


def word_search_plan(text: str, *, page_size: int) -> WordSearchPlan:
    """Which plan a word search for `text` runs, from the column's statistics."""
    statistics = word_statistics()
    words = [w for word in SEARCH_WORD.findall(text.lower())[:8] for w in LEXEME.findall(word)]
    if statistics is None or not words:
        return WordSearchPlan(share=None, matches=0.0, walk_rows=0.0, use_index=False)
    # Every word must match, so no more reports match than the rarest word's. That bound, not
    # the planner's product of shares (words of one phrase come together, "grey feed"), picks
    # the index plan only when its matches are surely few; a walk misled by words common apart
    # and rare together is what the timeout is for.
    share = max(min(statistics.prefix_share(word) for word in words), 1 / statistics.reports)
    matches = share * statistics.reports
    walk_rows = min(statistics.reports, page_size / share)
    return WordSearchPlan(
        share=share,
        matches=matches,
        walk_rows=walk_rows,
        use_index=matches <= INDEX_PLAN_ROW_RATIO * walk_rows,
    )


def _set(cursor, **settings) -> None:
    """SET LOCAL each, in one round trip (no parameters: the statements are ours)."""
    cursor.execute("; ".join(f"SET LOCAL {name} = {value}" for name, value in settings.items()))


def word_search_rows(page_query: QuerySet, *, text: str, page_size: int) -> list[Report]:
    """The page of a word search for `text`, by the plan the words' statistics pick."""
    use_index = word_search_plan(text, page_size=page_size).use_index
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            _set(cursor, max_parallel_workers_per_gather=0, enable_seqscan="off")
            if not use_index:
                _set(cursor, enable_bitmapscan="off", statement_timeout=WORD_SEARCH_WALK_TIMEOUT_MS)
                try:
                    with transaction.atomic():  # a savepoint: a cancelled walk leaves the rest
                        return list(page_query.all())
                except OperationalError:
                    pass
                _set(cursor, statement_timeout=0, enable_bitmapscan="on")
            _set(cursor, enable_indexscan="off", enable_indexonlyscan="off")
            return list(page_query.all())
        finally:
            # SET LOCAL lasts to the end of the outermost transaction, which may not be ours
            # (ATOMIC_REQUESTS, tests): put everything back now.
            cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in PLANNER_SETTINGS))
