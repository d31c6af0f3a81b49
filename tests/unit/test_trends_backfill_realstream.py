"""The real-stream measure (bench/bench_crisis_realstream.py) on a small made-up week: its reading of the
Kaggle layout, its peak and false-alert rules, and the three runs (whole stream, after two days without and
with a backfill)."""

import random
from datetime import UTC, datetime, timedelta

from bench.bench_crisis_realstream import AlertSpan, covers, main, measure, read_tweets, score
from pipeline.settings import Settings

T0 = datetime(2015, 2, 16, tzinfo=UTC)
BURST = T0 + timedelta(days=3, hours=15)


def write_week(path, airlines=("Delta", "United")):
    rng = random.Random(4)
    rows = ["tweet_id,airline_sentiment,negativereason,airline,text,tweet_created"]
    for airline in airlines:
        moment = T0
        while moment < T0 + timedelta(days=5):
            rate = 10 + 10 * (8 <= moment.hour < 22)  # mentions an hour, busier by day
            moment += timedelta(seconds=rng.expovariate(rate / 3600))
            negative = rng.random() < 0.3
            rows.append(f"{len(rows)},{'negative' if negative else 'neutral'},{'Late Flight' if negative else ''},"
                        f"{airline},@{airline} tweet {len(rows)},{moment.astimezone().strftime('%Y-%m-%d %H:%M:%S %z')}")
    for k in range(240):  # Delta's crisis: 240 complaints within an hour
        at = BURST + timedelta(seconds=15 * k)
        rows.append(f"b{k},negative,Cancelled Flight,Delta,@Delta cancelled again {k},{at.strftime('%Y-%m-%d %H:%M:%S %z')}")
    rows.append(rows[-1])  # the upstream file repeats rows
    path.write_text("\n".join(rows) + "\n")
    return path


def test_trends_backfill_realstream_reads_the_kaggle_layout_deduplicated_in_time_order(tmp_path):
    tweets, header = read_tweets(write_week(tmp_path / "Tweets.csv"))
    assert "tweet_created" in header
    assert [t.at for t in tweets] == sorted(t.at for t in tweets)
    burst = [t for t in tweets if t.text.startswith("@Delta cancelled again")]
    assert len(burst) == 240 and all(t.negative and t.complaint for t in burst)


def test_trends_backfill_realstream_without_a_time_column_measures_nothing(tmp_path):
    path = tmp_path / "tweets.tsv"
    path.write_text("text\tlabel\tnegativereason\tairline\n@Delta hi\tneutral\t\tDelta\n")
    assert read_tweets(path)[0] is None
    assert main(["--input", str(path), "--results", str(tmp_path / "out")]) == 2
    assert "no time column" in (tmp_path / "out" / "crisis_realstream.md").read_text()


def test_trends_backfill_realstream_an_alert_covers_an_hour_it_is_open_in_or_opened_near():
    hour, end = BURST, BURST + timedelta(days=2)
    near = AlertSpan("crisis:Delta", hour + timedelta(minutes=110), hour + timedelta(hours=4), "negative_spike", 0)
    open_over = AlertSpan("crisis:Delta", hour - timedelta(hours=5), None, "volume_spike", 0)
    far = AlertSpan("crisis:Delta", hour + timedelta(hours=3), hour + timedelta(hours=4), "volume_spike", 0)
    assert covers(near, hour, end) and covers(open_over, hour, end) and not covers(far, hour, end)
    scored = score([near, far], [hour], T0, T0 + timedelta(days=7))
    assert (scored["peaks_covered"], scored["false_alerts"], scored["false_alerts_per_week"]) == (1, 1, 1.0)


def test_trends_backfill_realstream_the_burst_is_covered_and_the_backfill_ends_the_warm_up(tmp_path):
    tweets, _ = read_tweets(write_week(tmp_path / "Tweets.csv"))
    result = measure(tweets, Settings(), top=1, backfill_days=3)
    runs = result["runs"]
    assert runs["whole_stream"]["Delta"]["top_negative_hours"][0][0] == BURST.isoformat()
    assert runs["whole_stream"]["Delta"]["peaks_covered"] == 1
    # three days in, Delta's crisis comes on the first live day: only the backfilled watch can see it
    assert runs["after_first_days_no_backfill"]["Delta"]["peaks_covered"] == 0
    assert runs["after_first_days_with_backfill"]["Delta"]["peaks_covered"] == 1
    assert runs["whole_stream"]["United"]["alerts"] == 0  # an ordinary week raises nothing
