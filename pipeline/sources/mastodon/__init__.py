"""Mastodon: hashtag timelines, search and the streaming API of an instance."""
