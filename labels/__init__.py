"""The label set (schema.yaml), the guidelines and the gold data."""
