"""Operators whose docstrings use what only Airflow's docs build defines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook, BaseOperator

if TYPE_CHECKING:
    from vendor_pkg.nowhere import Gadget


class BucketHook(BaseHook):
    """Talk to the bucket service.

    :param bucket_conn_id: the connection, see :ref:`howto/connection:bucket`.
    """

    conn_name_attr = "bucket_conn_id"
    default_conn_name = "bucket_default"
    conn_type = "bucket"
    hook_name = "Bucket"

    def __init__(self, bucket_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.bucket_conn_id = bucket_conn_id

    def get_conn(self) -> Gadget:
        """Return a client, as :external+boto3:py:meth:`S3.Client.list_objects_v2` does."""
        raise NotImplementedError


class BucketListOperator(BaseOperator):
    """List the keys of a bucket. |experimental|

    .. seealso::
        For more information on how to use this operator, take a look at the guide:
        :ref:`howto/operator:BucketListOperator`

    .. spelling:word-list::

        boto

    Uses :external+boto3:py:class:`S3.Client` and :external:py:meth:`list_objects` underneath, released
    in |version|.

    :param bucket: the bucket to list. (templated)
    :param gadget: a :class:`~vendor_pkg.nowhere.Gadget` to list with.
    """

    template_fields: Sequence[str] = ("bucket",)

    def __init__(self, *, bucket: str, gadget: Gadget | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bucket = bucket
        self.gadget = gadget

    def execute(self, context: Any) -> list[str]:
        """List the keys; see :doc:`/howto/list` for paging."""
        return [BucketHook().bucket_conn_id]
