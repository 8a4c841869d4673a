"""Drift: a metric stays within x % of its average over the previous runs, with the history in a table."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from etl_platform.dbapi import begin, connect, database_error, get_db_hook, plain_name, quote_name

if TYPE_CHECKING:
    from airflow.sdk import Context


class DriftCheckOperator(BaseOperator):
    """Fail when a run's metric drifts more than ``max_drift_percent`` from its recent average.

    common.sql's ``SQLIntervalCheckOperator`` compares a table's metric with the same metric
    ``days_back`` days earlier in that table; this check compares any value (rows loaded, bytes, a
    sum) with the average of its previous ``window`` accepted values, kept in ``history_table`` (created
    when missing). Every run's value is recorded with whether it passed; a rejected value does not
    move the average, and a re-run of the same DAG run replaces its own record.

    .. rubric:: Failure behaviour

    - **The value drifts beyond the limit**: the task fails without retry, naming the value, the
      average, the previous values and the limit; downstream tasks do not run.
    - **Fewer than** ``min_history`` **previous values**: the check passes and records the value.
    - **A value that is not a number** (an empty or failed template): fails without retry.
    - **The history table cannot hold the history** (a table of that name with other columns, no
      permission): fails without retry, with the database's message; nothing is recorded.
    - **The database refuses the login** (wrong password, no such database): fails without retry,
      naming the connection and what to check.
    - **The database cannot be reached, or meets a lock or a lost connection**: the task fails with an
      error Airflow retries; nothing is recorded.

    .. seealso:: :ref:`the failure behaviour of the platform's operators <failure-behaviour>`

    :param value: this run's value of the metric, e.g. ``"{{ ti.xcom_pull(task_ids='load')['rows'] }}"``.
        (templated)
    :param dataset: the dataset the metric describes, e.g. ``orders``.
    :param metric: the metric's name, e.g. ``rows``.
    :param conn_id: the database connection that holds the history table.
    :param max_drift_percent: the largest accepted distance from the average, in percent of it; 0 or more.
    :param window: how many previous accepted values make the average; at least 1.
    :param min_history: how many previous values are needed before the check can fail; 0 to ``window``.
    :param history_table: the table that keeps the values, ``name`` or ``schema.name``.
    """

    template_fields: Sequence[str] = ("value",)
    ui_color = "#fff7e6"

    def __init__(
        self,
        *,
        value: float | str,
        dataset: str,
        metric: str,
        conn_id: str,
        max_drift_percent: float = 20.0,
        window: int = 7,
        min_history: int = 3,
        history_table: str = "etl_quality_history",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if window < 1 or not 0 <= min_history <= window or max_drift_percent < 0:
            raise ValueError(
                f"window={window!r}, min_history={min_history!r}, max_drift_percent={max_drift_percent!r}: "
                "window must be at least 1, min_history between 0 and window (with more, the check never "
                "fails), max_drift_percent 0 or more"
            )
        plain_name(history_table)
        self.value = value
        self.dataset = dataset
        self.metric = metric
        self.conn_id = conn_id
        self.max_drift_percent = max_drift_percent
        self.window = window
        self.min_history = min_history
        self.history_table = history_table

    def _record(
        self, cursor: Any, table: str, mark: str, run_id: str, value: float
    ) -> tuple[list[float], bool]:
        """Read the previous accepted values, then record this run's value with its verdict.

        :param cursor: a cursor in the open transaction.
        :param table: the quoted history table.
        :param mark: the database's placeholder.
        :param run_id: this DAG run, whose earlier record is replaced.
        :param value: this run's value.
        :returns: the previous values, newest first, and whether the value passed.
        """
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (dataset VARCHAR(250), metric VARCHAR(250), "
            "run_id VARCHAR(250), value DOUBLE PRECISION, passed INTEGER, recorded_at VARCHAR(40))"
        )
        cursor.execute(
            f"SELECT value FROM {table} WHERE dataset = {mark} AND metric = {mark} AND run_id <> {mark} "
            f"AND passed = 1 ORDER BY recorded_at DESC LIMIT {int(self.window)}",
            (self.dataset, self.metric, run_id),
        )
        history = [float(row[0]) for row in cursor.fetchall()]
        drift = _drift_percent(value, sum(history) / len(history) if history else None)
        passed = len(history) < self.min_history or drift <= self.max_drift_percent
        cursor.execute(
            f"DELETE FROM {table} WHERE dataset = {mark} AND metric = {mark} AND run_id = {mark}",
            (self.dataset, self.metric, run_id),
        )
        cursor.execute(
            f"INSERT INTO {table} (dataset, metric, run_id, value, passed, recorded_at) "
            f"VALUES ({', '.join([mark] * 6)})",
            (
                self.dataset,
                self.metric,
                run_id,
                value,
                int(passed),
                datetime.datetime.now(datetime.UTC).isoformat(),
            ),
        )
        return history, passed

    def execute(self, context: Context) -> dict[str, Any]:
        """Compare the value with its history, record it, and fail on drift.

        :param context: the task's Airflow context.
        :raises AirflowFailException: when the value drifted beyond the limit.
        :returns: ``value``, ``average``, ``drift_percent``, ``history`` and ``passed``.
        """
        try:
            value = float(str(self.value).strip())
        except ValueError:
            raise AirflowFailException(
                f"{self.metric} of {self.dataset} is {self.value!r}, not a number: check the template"
            ) from None
        # Any connection whose hook is a DbApiHook (the annotation tells the catalog so, too).
        hook: DbApiHook = get_db_hook(self.conn_id)
        table = quote_name(hook, self.history_table)
        mark = hook.placeholder
        run_id = context["run_id"]
        conn = connect(hook)
        try:
            begin(conn)
            try:
                history, passed = self._record(conn.cursor(), table, mark, run_id, value)
                conn.commit()
            except Exception as error:
                raise database_error(
                    self.conn_id, error, f"the history table {self.history_table}", "nothing was recorded"
                ) from None
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()
        average = sum(history) / len(history) if history else None
        drift = _drift_percent(value, average)
        result = {
            "value": value,
            "average": average,
            "drift_percent": drift,
            "history": history,
            "passed": passed,
        }
        if not passed:
            raise AirflowFailException(
                f"{self.metric} of {self.dataset} is {value:g}, {drift:.1f}% from {average:g}, the average "
                f"of the previous {len(history)} runs ({', '.join(f'{v:g}' for v in history)}); the limit "
                f"is {self.max_drift_percent:g}%. Find out why before re-running; the value is recorded as "
                "rejected"
            )
        self.log.info("%s of %s: %s", self.metric, self.dataset, result)
        return result


def _drift_percent(value: float, average: float | None) -> float:
    if average is None:
        return 0.0
    if average == 0:
        return 0.0 if value == 0 else float("inf")
    return abs(value - average) / abs(average) * 100
