"""Completeness: the table holds as many rows as the source sent, and the required columns are filled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.operators.sql import SQLTableCheckOperator
from airflow.sdk.exceptions import AirflowException

from etl_platform.dbapi import database_error, plain_name
from etl_platform.policy import ConfigurationError

if TYPE_CHECKING:
    from airflow.sdk import Context


class CompletenessCheckOperator(SQLTableCheckOperator):
    """Check that a loaded table is complete, and stop the downstream tasks at once when it is not.

    Built on common.sql's table check: the checks below become its ``checks`` and run in one query.

    - ``expected_rows``: the row count equals the source's own count, typically the ingest task's
      ``rows`` from XCom (``"{{ ti.xcom_pull(task_ids='ingest')['rows'] }}"``);
    - ``min_rows``: the row count is at least this;
    - ``required_columns``: none of these columns holds a null.

    .. rubric:: Failure behaviour

    - **A check fails** (too few rows, a count that differs from the source's, nulls in a required
      column): the task fails without retry and names every failed check; downstream tasks do not run.
    - **Empty table**: the row-count checks fail as above.
    - **The table or a column does not exist**: the query fails; the task fails without retry, with the
      database's message.
    - **A rendered row count that is not a whole number**: fails without retry, naming the value.
    - **The database refuses the login** (wrong password, no such database): fails without retry,
      naming the connection and what to check.
    - **The database cannot be reached, or the query meets a lock or a lost connection**: the task fails
      with an error Airflow retries.

    .. seealso:: :ref:`the failure behaviour of the platform's operators <failure-behaviour>`

    :param table: the table to check, ``name`` or ``schema.name``. (templated)
    :param conn_id: the database connection (any type with a common.sql hook). (templated)
    :param expected_rows: the exact row count the table must have. (templated)
    :param min_rows: the smallest acceptable row count. (templated)
    :param required_columns: columns that must hold no nulls.
    :param partition_clause: an SQL condition restricting the checked rows, e.g. ``"day = '2026-11-24'"``.
        (templated)
    :param database: the database, overriding the connection's. (templated)
    """

    # Not extended from the parent's: its "sql" is built here from the checks, and "hook_params" is not
    # an argument of this class, so neither is for DAG authors to template.
    template_fields: Sequence[str] = (
        "table",
        "conn_id",
        "expected_rows",
        "min_rows",
        "partition_clause",
        "database",
    )

    def __init__(
        self,
        *,
        table: str,
        conn_id: str,
        expected_rows: int | str | None = None,
        min_rows: int | str | None = None,
        required_columns: Sequence[str] = (),
        partition_clause: str | None = None,
        database: str | None = None,
        **kwargs: Any,
    ) -> None:
        if expected_rows is None and min_rows is None and not required_columns:
            raise ValueError("give expected_rows, min_rows or required_columns: there is nothing to check")
        self.expected_rows = expected_rows
        self.min_rows = min_rows
        self.required_columns = [plain_name(column) for column in required_columns]
        super().__init__(
            table=table,
            checks=self._checks(rendered=False),
            partition_clause=partition_clause,
            conn_id=conn_id,
            database=database,
            retry_on_failure=False,
            **kwargs,
        )

    def _checks(self, *, rendered: bool = True) -> dict[str, dict[str, Any]]:
        """Name the checks; their counts are validated once templates are rendered."""

        def count(value: int | str) -> int | str:
            return _count(value) if rendered or "{{" not in str(value) else value

        checks: dict[str, dict[str, Any]] = {}
        if self.expected_rows is not None:
            checks["row_count_matches_source"] = {
                "check_statement": f"COUNT(*) = {count(self.expected_rows)}"
            }
        if self.min_rows is not None:
            checks["row_count_at_least_minimum"] = {"check_statement": f"COUNT(*) >= {count(self.min_rows)}"}
        for column in self.required_columns:
            checks[f"no_nulls_in_{column}"] = {"check_statement": f"COUNT({column}) = COUNT(*)"}
        return checks

    def execute(self, context: Context) -> None:
        """Build the checks from the rendered arguments and run them in one query.

        :param context: the task's Airflow context.
        """
        # Row counts usually arrive rendered from XCom, so the checks are built again after rendering.
        self.checks = self._checks()
        self.sql = f"SELECT check_name, check_result FROM ({self._generate_sql_query()}) AS check_table"
        try:
            super().execute(context)
        except AirflowException:
            raise  # the checks' own verdict (not retried) and Airflow's errors
        except Exception as error:
            # The driver's error, as the parent lets it through: retried only if it may pass.
            raise database_error(str(self.conn_id), error, f"the checks of {self.table}") from None


def _count(value: int | str) -> int:
    """Turn a rendered row count into an int, refusing anything else (it becomes part of the SQL)."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigurationError(
            f"row count {value!r} is not a whole number: check the template or XCom it comes from"
        ) from None
