"""The failure policy every ingest operator shares: what empty input does, and which errors are retried.

Airflow decides about retries from the exception's type: an
:class:`~airflow.sdk.exceptions.AirflowFailException` fails the task at once, any other exception lets
Airflow retry it. The errors below carry that decision in their type so that operators only have to
raise the right one.
"""

from __future__ import annotations

import enum

from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException


class OnEmpty(enum.StrEnum):
    """What an ingest operator does when its source gives no data."""

    #: Fail the task (not retried): an empty source is an incident.
    FAIL = "fail"
    #: Skip the task, which skips the downstream tasks too.
    SKIP = "skip"
    #: Archive the empty payload as a record that the source was empty, and succeed with zero rows.
    SUCCEED = "succeed"


class DataError(AirflowFailException):
    """The payload is corrupt, truncated or unparsable: retrying would fetch the same bad data."""


class EmptySourceError(AirflowFailException):
    """The source gave no data and the operator was told to fail on empty input."""


class RequestRejectedError(AirflowFailException):
    """The source refused the request (HTTP 4xx, FTP permission denied): the request must be fixed."""


class ConfigurationError(AirflowFailException, ValueError):
    """A connection or an argument is wrong (a bad password, a missing setting, a name that cannot be used).

    No retry can fix it until someone changes the connection or the DAG, so the task fails at once; the
    message names what is wrong and the fix. It is a :class:`ValueError` too, as a bad argument is, so it
    fits both where an argument is checked when the DAG is parsed and inside ``execute``, where
    templated arguments and connections are first known.
    """


class SourceUnavailableError(AirflowException):
    """The source could not be reached or timed out: Airflow retries the task."""


def parse_on_empty(value: str | OnEmpty) -> OnEmpty:
    """Turn an ``on_empty`` argument into an :class:`OnEmpty`.

    :param value: ``"fail"``, ``"skip"`` or ``"succeed"``.
    :raises ValueError: when the value is none of them; the message lists the choices.
    :returns: the policy.
    """
    try:
        return OnEmpty(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in OnEmpty)
        raise ValueError(f"on_empty={value!r} is not a policy: use one of {choices}") from None


def refuse_empty(on_empty: OnEmpty, what: str) -> None:
    """Apply the ``fail`` and ``skip`` policies to an empty source; ``succeed`` returns normally.

    :param on_empty: the operator's policy.
    :param what: the source, named in the message (``"GET http://…/orders"``).
    :raises EmptySourceError: with ``fail``.
    :raises AirflowSkipException: with ``skip``.
    """
    if on_empty is OnEmpty.FAIL:
        raise EmptySourceError(
            f"{what} returned no data; set on_empty='skip' or on_empty='succeed' if that is expected"
        )
    if on_empty is OnEmpty.SKIP:
        raise AirflowSkipException(f"{what} returned no data (on_empty='skip')")
