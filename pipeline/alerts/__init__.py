"""Alerts: what a community manager is told about a crisis, and how it reaches them.

- :mod:`pipeline.alerts.model`: the :class:`~pipeline.alerts.model.Alert` and its lifecycle
  (open → acknowledged → resolved) as pure functions; one crisis is one alert that updates.
- :mod:`pipeline.alerts.raid`: is a spike organic or a coordinated troll raid? (pure, with the evidence).
- :mod:`pipeline.alerts.routing`: ``alerting.yaml``: channels, which ones per watch and severity, retries.
- :mod:`pipeline.alerts.channels`: Slack, signed webhook, e-mail and Kafka channels, and their payloads.
- :mod:`pipeline.alerts.outbox`: failed deliveries kept as JSON lines until they can be sent.
- :mod:`pipeline.alerts.delivery`: route, send with retries (honouring ``Retry-After``), fall back to the outbox.

No Faust and no Kafka client here: the crisis agent calls these functions and wires a ``send`` callable.
"""
