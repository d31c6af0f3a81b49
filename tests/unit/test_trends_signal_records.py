"""``watch.signals`` records: one array of signals per watch and batch, or one alert action (pipeline/trends/signals.py)."""

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.trends.signals import AlertAction, Signal, parse_signal_record, signal_records


def _signal(watch: str, number: int) -> Signal:
    return Signal(watch=watch, id=f"twitter:{number}", at=datetime(2026, 11, 21, 9, number, tzinfo=UTC),
                  negative=True, complaint=False, troll=False, sketch="", author="a", followers=3,
                  terms=(("word", "panne"),))


def test_trends_signal_records_group_by_watch_in_order_and_read_back():
    signals = [_signal("Lumio", 1), _signal("Rivals", 2), _signal("Lumio", 3)]
    records = signal_records(signals)
    assert [key for key, _ in records] == [b"Lumio", b"Rivals"]
    read = [parse_signal_record(orjson.loads(value)) for _, value in records]
    assert read == [([signals[0], signals[2]], []), ([signals[1]], [])]


def test_trends_signal_records_split_a_big_batch_into_records_under_the_bound_in_order():
    from pipeline.trends.signals import MAX_SIGNAL_RECORD_BYTES, MAX_SIGNAL_TERMS

    long_terms = tuple(("keyword", f"word{k:03d}" * 4) for k in range(200))
    signals = [Signal(watch="Lumio", id=f"twitter:{number}", at=datetime(2026, 11, 21, 9, tzinfo=UTC), negative=True,
                      complaint=True, troll=False, sketch="ab" * 32, author=f"user{number}", followers=number,
                      terms=long_terms) for number in range(2000)]
    records = signal_records(signals)
    assert len(records) > 1 and all(len(value) <= MAX_SIGNAL_RECORD_BYTES for _, value in records)
    read = [item for _, value in records for item in parse_signal_record(orjson.loads(value))[0]]
    assert [item.id for item in read] == [s.id for s in signals]
    assert all(len(item.terms) == MAX_SIGNAL_TERMS for item in read)  # a signal read back is bounded too


def test_trends_signal_records_legacy_record_with_text_gets_its_sketch():
    from pipeline.alerts.raid import text_sketch

    legacy = {"type": "mention", "watch": "Lumio", "id": "twitter:1", "at": "2026-11-21T09:00:00Z", "text": "colis perdu"}
    (signal,), errors = parse_signal_record(legacy)
    assert errors == [] and signal.sketch == text_sketch("colis perdu") and signal.partition is None


def test_trends_signal_records_keep_the_readable_elements_of_a_damaged_record():
    good = _signal("Lumio", 1).to_json()
    items, errors = parse_signal_record([good, {"type": "mention", "watch": "Lumio"}, 7, good])
    assert [item.id for item in items] == ["twitter:1", "twitter:1"]
    assert len(errors) == 2 and errors[0].startswith("element 1: KeyError") and errors[1].startswith("element 2:")


def test_trends_signal_records_one_object_is_an_action_or_a_signal():
    action = AlertAction("Lumio", "crisis:Lumio:1", "acknowledge", "cm", datetime(2026, 11, 21, tzinfo=UTC))
    assert parse_signal_record(action.to_json()) == ([action], [])
    assert parse_signal_record(_signal("Lumio", 4).to_json()) == ([_signal("Lumio", 4)], [])


def test_trends_signal_records_refuse_what_is_neither_object_nor_array():
    with pytest.raises(TypeError, match="object or an array"):
        parse_signal_record("Lumio")
