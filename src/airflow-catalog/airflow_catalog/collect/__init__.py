"""From the configured import names to a :class:`~airflow_catalog.model.catalog.Catalog`."""
