"""Data-quality checks that stop downstream work when data is incomplete or drifts."""
