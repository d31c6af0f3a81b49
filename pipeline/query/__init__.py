"""The query language of watches, ``veille search`` and competitor queries, and its Elasticsearch compiler.

>>> compile_query('lang:fr livraison NEAR/3 retard -remboursement')  # doctest: +SKIP

See :mod:`pipeline.query.parser` for the syntax. A bad query raises :class:`QuerySyntaxError`, whose
``str()`` shows the query with a caret under ``.position``.
"""

from pipeline.query.elasticsearch import compile_query, to_elasticsearch
from pipeline.query.parser import QuerySyntaxError, QueryTooLarge, parse_query

__all__ = ["QuerySyntaxError", "QueryTooLarge", "compile_query", "parse_query", "to_elasticsearch"]
