"""The Elasticsearch field types the index mappings are written with (mentions, alerts, trends, inbox)."""

KEYWORD = {"type": "keyword", "ignore_above": 1024}
DATE = {"type": "date"}
LONG = {"type": "long"}
DOUBLE = {"type": "double"}
