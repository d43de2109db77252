"""A stored full-text vector of the report details, PostgreSQL only (SQLite searches with LIKE).

The console's word search walks the list's index checking each row; computing to_tsvector per
row costs ~60 us, reading a stored vector about 1 us. The column is not in Django's model state
(no ORM code reads or writes it); reports.search.DetailsMatch names it, and the GIN index on
it replaces the expression index of 0003.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE reports_report ADD COLUMN IF NOT EXISTS details_search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, details)) STORED",
    "CREATE INDEX IF NOT EXISTS report_details_search ON reports_report USING gin (details_search)",
    "DROP INDEX IF EXISTS report_details_fts",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS report_details_fts ON reports_report "
    "USING gin (to_tsvector('simple'::regconfig, details))",
    "DROP INDEX IF EXISTS report_details_search",
    "ALTER TABLE reports_report DROP COLUMN IF EXISTS details_search",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_console_indexes")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
