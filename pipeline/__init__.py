"""Veille: real-time social listening. Library code: models, settings, tagging, connectors, sinks, CLI."""

__version__ = "0.1.0"
