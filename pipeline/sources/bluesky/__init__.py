"""Bluesky: the Jetstream websocket, recorded XRPC responses and the firehose."""
