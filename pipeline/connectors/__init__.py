"""Connectors: they fetch or receive mentions and hand them to a :class:`RecordSink` (Kafka in production)."""
