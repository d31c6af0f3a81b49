"""Audience rhythm: the request sent to Elasticsearch, the weekday × hour grids in the watch's time zone (a week
that changes to or from summer time included), the best-slot ranking with its minimum sample, the watch's
``timezone`` option and the heatmap."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.rhythm import (
    Hour,
    UnknownTimeZone,
    format_rhythm,
    rank_slots,
    rhythm_request,
    shape_rhythm,
    time_zone,
    watch_time_zone,
)
from pipeline.watches import DEFAULT_TIMEZONE, Watches, WatchesError
from pipeline.web.rhythm import heatmap_chart

UNTIL = datetime(2026, 4, 30, tzinfo=UTC)


def _answer(*buckets: tuple[str, int, int]) -> dict:
    """An hourly date_histogram answer: (UTC start of the hour, mentions, likes) per bucket."""
    return {"aggregations": {"hours": {"buckets": [
        {"key": int(datetime.fromisoformat(start).timestamp() * 1000), "doc_count": count,
         "likes": {"value": float(likes)}, "shares": {"value": 1.0}, "replies": {"value": 0.0}}
        for start, count, likes in buckets]}}}


def _cells(grid: list[list[int]]) -> dict[tuple[int, int], int]:
    return {(day, hour): value for day, row in enumerate(grid) for hour, value in enumerate(row) if value}


def test_rhythm_request_asks_hourly_buckets_in_the_zone_with_interaction_sums():
    since = datetime(2026, 3, 1, tzinfo=UTC)
    request = rhythm_request("Aquarelle", since, UNTIL, "Europe/Paris", {"term": {"lang": "fr"}})
    hours = request["aggs"]["hours"]
    assert hours["date_histogram"] == {"field": "created_at", "calendar_interval": "hour",
                                       "time_zone": "Europe/Paris", "min_doc_count": 1}
    assert hours["aggs"] == {metric: {"sum": {"field": f"metrics.{metric}"}} for metric in ("likes", "shares", "replies")}
    assert request["size"] == 0
    assert request["query"]["bool"]["filter"] == [
        {"range": {"created_at": {"lte": UNTIL.isoformat(), "gte": since.isoformat()}}},
        {"term": {"watch": "Aquarelle"}}, {"term": {"lang": "fr"}}]
    every_mention = rhythm_request(None, None, UNTIL, "UTC")
    assert every_mention["query"]["bool"]["filter"] == [{"range": {"created_at": {"lte": UNTIL.isoformat()}}}]


def test_rhythm_grid_puts_each_hour_at_its_local_weekday_and_hour():
    answer = _answer(("2026-03-23T08:00:00+00:00", 3, 10),  # Monday 09:00 in Paris (winter time, UTC+1)
                     ("2026-03-22T23:00:00+00:00", 2, 4))  # Sunday in UTC, Monday 00:00 in Paris
    paris = shape_rhythm(answer, "Aquarelle", "Europe/Paris", None, UNTIL)
    assert _cells(paris.mentions) == {(0, 9): 3, (0, 0): 2}
    assert _cells(paris.interactions) == {(0, 9): 11, (0, 0): 5}  # likes + shares + replies
    utc = shape_rhythm(answer, "Aquarelle", "UTC", None, UNTIL)
    assert _cells(utc.mentions) == {(0, 8): 3, (6, 23): 2}
    montreal = shape_rhythm(answer, "Aquarelle", "America/Montreal", None, UNTIL)  # summer time since 8 March
    assert _cells(montreal.mentions) == {(0, 4): 3, (6, 19): 2}
    assert (paris.total_mentions, paris.total_interactions) == (5, 16)


def test_rhythm_grid_follows_the_summer_time_change_in_march_and_october():
    march = shape_rhythm(_answer(("2026-03-28T08:00:00+00:00", 1, 0),  # Saturday 09:00, UTC+1
                                 ("2026-03-30T07:00:00+00:00", 1, 0),  # Monday 09:00, UTC+2
                                 ("2026-03-29T00:00:00+00:00", 1, 0),  # Sunday 01:00
                                 ("2026-03-29T01:00:00+00:00", 1, 0)),  # Sunday 03:00: 02:00 does not exist
                         None, "Europe/Paris", None, UNTIL)
    assert _cells(march.mentions) == {(5, 9): 1, (0, 9): 1, (6, 1): 1, (6, 3): 1}
    october = shape_rhythm(_answer(("2026-10-25T00:00:00+00:00", 2, 0),  # Sunday 02:00 summer time
                                   ("2026-10-25T01:00:00+00:00", 3, 0)),  # Sunday 02:00 again, winter time
                           None, "Europe/Paris", None, UNTIL)
    assert _cells(october.mentions) == {(6, 2): 5}


def _weekly(first: datetime, weeks: int, mentions: int, interactions: list[int]) -> list[Hour]:
    zone = time_zone("Europe/Paris")
    return [Hour((first + timedelta(weeks=week)).astimezone(zone), mentions, interactions[week]) for week in range(weeks)]


def test_rhythm_best_slots_need_the_minimum_sample_and_resist_one_viral_post():
    monday_9 = _weekly(datetime(2026, 3, 2, 8, tzinfo=UTC), 4, 5, [50, 50, 50, 50])  # 10 per mention every week
    tuesday_18 = _weekly(datetime(2026, 3, 3, 17, tzinfo=UTC), 4, 5, [10_000, 5, 5, 5])  # one viral post
    wednesday_12 = _weekly(datetime(2026, 3, 4, 11, tzinfo=UTC), 1, 50, [5_000])  # one date only
    thursday_7 = _weekly(datetime(2026, 3, 5, 6, tzinfo=UTC), 4, 2, [200, 200, 200, 200])  # 8 mentions in all
    hours = [*monday_9, *tuesday_18, *wednesday_12, *thursday_7]
    ranked = rank_slots(hours, lambda h: (h.start.weekday(), h.start.hour), min_mentions=10, min_occurrences=3)
    assert [(s.weekday, s.hour) for s in ranked] == [(0, 9), (1, 18)]
    best = ranked[0]
    assert (best.mentions, best.interactions, best.occurrences, best.score) == (20, 200, 4, 10.0)
    assert ranked[1].score == 1.0 and ranked[1].interactions == 10_015
    looser = rank_slots(hours, lambda h: (h.start.weekday(), h.start.hour), min_mentions=1, min_occurrences=1)
    assert [(s.weekday, s.hour) for s in looser] == [(2, 12), (3, 7), (0, 9), (1, 18)]  # a tie: the busier first


def test_rhythm_best_hours_count_every_weekday_of_an_hour():
    answer = _answer(*((f"2026-03-{day:02d}T08:00:00+00:00", 4, 8) for day in range(2, 9)),  # 09:00 every day
                     ("2026-03-02T15:00:00+00:00", 30, 3000))  # 16:00 on one day only
    rhythm = shape_rhythm(answer, "Aquarelle", "Europe/Paris", None, UNTIL)
    assert rhythm.best_slots() == []  # no weekday slot has three weeks
    hours = rhythm.best_hours()
    assert [(s.weekday, s.hour, s.mentions, s.occurrences) for s in hours] == [(None, 9, 28, 7)]
    assert hours[0].score == pytest.approx(9 / 4)
    shown = rhythm.to_json()
    assert shown["best_hours"][0] == {"weekday": None, "day": None, "hour": 9, "mentions": 28, "interactions": 63,
                                      "occurrences": 7, "interactions_per_mention": 2.25}
    assert shown["grid"]["mentions"][0][9] == 4 and len(shown["grid"]["mentions"]) == 7
    assert all(len(row) == 24 for row in shown["grid"]["interactions"])
    assert shown["weekdays"][0] == "monday" and shown["time_zone"] == "Europe/Paris"
    text = format_rhythm(rhythm)
    assert "Best hours of the day" in text and "every day 09:00–10:00" in text
    assert re.search(r"^Mon(\s+0){9}\s+4(\s+0){6}\s+30(\s+0){7}$", text, re.MULTILINE)  # 09:00: 4, 16:00: 30
    assert "none: too few mentions" in text


def test_rhythm_empty_answer_is_an_empty_grid():
    rhythm = shape_rhythm({}, None, "UTC", None, UNTIL)
    assert rhythm.total_mentions == 0 and rhythm.best_slots() == [] and rhythm.best_hours() == []


def test_rhythm_watch_timezone_option_defaults_checks_and_is_read(tmp_path):
    text = "watches: [{name: Aquarelle, keywords: [Aquarelle]},\n" \
           "          {name: Lumio, keywords: [Lumio], timezone: America/Montreal}]\n"
    watches = Watches.from_yaml(text)
    assert [w.spec.timezone for w in watches.watches] == [DEFAULT_TIMEZONE, "America/Montreal"] == \
        ["Europe/Paris", "America/Montreal"]
    with pytest.raises(WatchesError, match="timezone.*unknown time zone 'Europe/Pariss'"):
        Watches.from_yaml(text.replace("America/Montreal", "Europe/Pariss"))
    path = tmp_path / "watches.yaml"
    path.write_text(text)
    assert watch_time_zone(path, "lumio") == "America/Montreal"
    assert watch_time_zone(path, "Aquarelle") == watch_time_zone(path, "Gone") == "Europe/Paris"
    assert watch_time_zone(tmp_path / "missing.yaml", "Lumio") == "Europe/Paris"
    with pytest.raises(UnknownTimeZone):
        time_zone("Mars/Olympus")


def test_rhythm_heatmap_draws_one_cell_per_weekday_and_hour():
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9], grid[4][18] = 10, 5
    svg = str(heatmap_chart(grid, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "<Sun>"], "Mentions", "mentions"))
    assert svg.startswith('<svg class="chart heatmap"') and 'aria-label="Mentions"' in svg
    assert svg.count("<rect ") == 7 * 24
    assert re.search(r'data-day="0" data-hour="9" data-value="10"><title>Mon 09:00–10:00: 10 mentions', svg)
    assert 'fill-opacity="1.00" data-day="0" data-hour="9"' in svg
    assert 'fill-opacity="0.56" data-day="4" data-hour="18"' in svg
    assert "&lt;Sun&gt;" in svg and "<Sun>" not in svg
