"""Hacker News: the Algolia search API and the Firebase items."""
