"""Replaying recorded mentions: a JSON-lines file followed as a live source, or sent at a chosen pace."""
