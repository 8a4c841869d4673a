"""Two operators in one module, so that editing one shows whether the other's page is re-read."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator


class FirstOperator(BaseOperator):
    """Do the first thing.

    Failure behaviour: nothing can fail.

    :param size: how much of it. (templated)
    """

    template_fields = ("size",)

    def __init__(self, *, size: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size

    def execute(self, context: Any) -> int:
        """Return the size."""
        return self.size


class SecondOperator(BaseOperator):
    """Do the second thing.

    Failure behaviour: nothing can fail.

    :param label: what to call it, e.g. "second".
    """

    def __init__(self, *, label: str = "second", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label

    def execute(self, context: Any) -> str:
        """Return the label."""
        return self.label
