"""Trends: pure functions that turn mention counts and texts into spikes and trending terms.

- :mod:`pipeline.trends.spikes`: an online volume-spike detector (one small state object per
  watched series, updated one point at a time), shared by the crisis agent and ``veille spikes``.
- :mod:`pipeline.trends.terms`: keyword / hashtag / @mention / product extraction from a mention text
  and a per-term burst score for the trending agent.

No I/O and no Kafka here: the agents own the streams and call these functions.
"""
