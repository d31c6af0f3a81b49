"""Sinks: where enriched mentions, trends and alerts are written. Each is a small class with
``setup()`` (check the connection, create what it needs) and ``write(batch)``."""
