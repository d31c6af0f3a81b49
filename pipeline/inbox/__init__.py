"""The community manager's inbox: triage (by when to answer what), who handles it, and how fast it was answered.

:mod:`.triage` and :mod:`.kpis` are pure; :mod:`.store` keeps the inbox state (assignee, notes, answered) in
its own Elasticsearch index, keyed by mention id, so a ``veille reprocess`` that rewrites the mentions keeps it;
:mod:`.service` puts mentions, alerts and that state together for the web app and ``veille inbox``.
"""
