from collections import Counter
from datetime import UTC, datetime, timedelta

from pipeline.sinks.mappings_extra import TREND_PROPERTIES
from pipeline.trends.signals import Signal, signals_for
from pipeline.trends.terms import Term
from pipeline.trends.trending import TrendConfig, WatchTrends

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def signal(at, i, terms):
    return Signal(watch="acme", id=f"m{i}", at=at, negative=False, complaint=False, troll=False, sketch="",
                  author="a", followers=None, terms=tuple(terms))


def run(trends, signals):
    """What the agent does: count terms per window (here a Counter stands in for the windowed table)."""
    table: Counter = Counter()
    events = []
    for s in signals:
        start = trends.observe(s)
        if start is None:
            continue
        for term in s.terms:
            table[(start, term)] += 1
        for due in trends.due():
            events += trends.close(due, {t: table[(due, t)] for t in trends.terms_of(due)})
    return events


def test_trends_trending_new_hashtag_burst_is_an_emerging_trend_with_samples():
    trends = WatchTrends("acme", TrendConfig(window=timedelta(minutes=15), warmup_windows=4))
    usual = [Term("keyword", "livraison"), Term("keyword", "prix")]
    signals = [signal(T0 + timedelta(minutes=k), k, usual[k % 2:k % 2 + 1]) for k in range(8 * 15)]
    burst = [signal(T0 + timedelta(hours=2, seconds=10 * k), 1000 + k, [Term("hashtag", "#boycottacme")]) for k in range(40)]
    after = [signal(T0 + timedelta(hours=2, minutes=20), 2000, usual[:1])]
    events = run(trends, signals + burst + after)
    assert [e["term"] for e in events] == ["#boycottacme"]
    event = events[0]
    assert event["emerging"] and event["count"] == 40 and event["burst_score"] > 3
    assert event["window_start"] == (T0 + timedelta(hours=2)).isoformat()
    assert event["sample_ids"] == ["m1000", "m1001", "m1002", "m1003", "m1004"]
    assert event["id"] == "acme|hashtag:#boycottacme|20261101T020000Z"
    assert set(event) <= set(TREND_PROPERTIES)  # every field of a trend event is mapped in the trends index


def test_trends_trending_steady_terms_do_not_trend_and_nothing_before_warmup():
    trends = WatchTrends("acme", TrendConfig(warmup_windows=4))
    usual = [Term("keyword", "livraison")]
    events = run(trends, [signal(T0 + timedelta(minutes=k), k, usual) for k in range(10 * 15)])
    assert events == []
    cold = WatchTrends("acme", TrendConfig(warmup_windows=4))
    burst = [signal(T0 + timedelta(seconds=k), k, [Term("hashtag", "#x")]) for k in range(50)]
    assert run(cold, burst + [signal(T0 + timedelta(minutes=30), 99, [])]) == []


def test_trends_trending_state_round_trip_keeps_baseline_and_open_window():
    trends = WatchTrends("acme")
    run(trends, [signal(T0 + timedelta(minutes=k), k, [Term("keyword", "prix")]) for k in range(70)])
    restored = WatchTrends.from_state(trends.to_state())
    assert restored.to_state() == trends.to_state()
    assert restored.history.baseline == trends.history.baseline


def test_trends_signals_one_per_watch_with_flags_and_terms():
    document = {"id": "x:1", "watch": ["Acme", "Rival", "Acme"], "created_at": "2026-11-20T10:00:00Z",
                "text": "Acme #scandale remboursement", "sentiment": "negative", "categories": ["complaint"],
                "author": {"id": "a1", "followers": 12}}
    signals = signals_for(document)
    assert [s.watch for s in signals] == ["Acme", "Rival"]
    assert signals[0].negative and signals[0].complaint and not signals[0].troll
    assert Term("hashtag", "#scandale") in signals[0].terms
    assert Signal.from_json(signals[0].to_json()) == signals[0]
    assert signals_for({**document, "watch": []}) == []


def test_trends_trending_late_mention_is_counted_late_not_added_to_another_window():
    trends = WatchTrends("acme", TrendConfig(window=timedelta(minutes=15), lateness=timedelta(minutes=2)))
    run(trends, [signal(T0 + timedelta(minutes=k), k, []) for k in range(40)])
    assert trends.observe(signal(T0, 99, [Term("hashtag", "#late")])) is None and trends.late == 1


def test_trends_trending_state_parts_change_the_baseline_only_when_a_window_closes():
    trends = WatchTrends("acme")
    run(trends, [signal(T0 + timedelta(minutes=k), k, [Term("keyword", "prix")]) for k in range(70)])
    history, rest = trends.to_state_parts()
    version = trends.history_version
    assert "closed" not in rest and WatchTrends.from_state({**rest, **history}).to_state() == trends.to_state()
    trends.observe(signal(T0 + timedelta(minutes=70, seconds=30), 70, [Term("keyword", "prix")]))
    assert trends.history_version == version and trends.to_state_parts()[0] == history  # nothing closed
    run(trends, [signal(T0 + timedelta(minutes=100), 71, [Term("keyword", "prix")])])
    assert trends.history_version > version and trends.to_state_parts()[0] != history


def test_trends_trending_an_open_window_tracks_a_bounded_number_of_terms():
    from pipeline.trends.trending import TrendConfig

    trends = WatchTrends("acme", TrendConfig(max_keywords_per_window=50))
    tracked = [trends.observe_terms(signal(T0 + timedelta(seconds=k), k, [Term("keyword", f"w{k}"), Term("hashtag", f"#h{k}")]))[1]
               for k in range(80)]
    window = next(iter(trends.open.values()))
    assert window.keywords == 50 and window.others == 50 and len(window.samples) == 100
    assert tracked[10] == [Term("keyword", "w10"), Term("hashtag", "#h10")] and tracked[60] == []
