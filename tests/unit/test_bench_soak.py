"""The soak benchmark's pure parts: the delivery accounting, the day of event time, the memory readings."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from bench.bench_soak import account, descendants, reason_kind, spread_over_a_day, vmrss_kib


def _letter(mention_id: str, stage: str = "index", reason: str = "mapper_parsing_exception: failed to parse") -> dict:
    return {"mention_id": mention_id, "stage": stage, "reason": reason}


def test_bench_soak_account_everything_delivered_once_is_neither_lost_nor_duplicated():
    result = account({"a", "b", "c"}, Counter(a=1, b=1), [_letter("c")], Counter(a=1, b=1, c=1), Counter(a=1, b=1, c=1))
    assert (result["sent"], result["indexed"], result["dead_lettered"]) == (3, 2, 1)
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["dead_letter_reasons"] == {"index: mapper_parsing_exception": 1}


def test_bench_soak_account_lost_is_sent_minus_indexed_minus_dead_lettered():
    result = account({"a", "b", "c", "d"}, Counter(a=1), [_letter("b")], Counter(), Counter())
    assert result["lost"] == 2
    assert result["lost_examples"] == ["c", "d"]


def test_bench_soak_account_counts_indexed_and_dead_lettered_and_twice_dead_lettered_as_duplicated():
    letters = [_letter("a"), _letter("b"), _letter("b", stage="validate", reason="bad json")]
    result = account({"a", "b", "c"}, Counter(a=1, c=1), letters, Counter(), Counter())
    assert result["duplicated_detail"] == {"indexed_and_dead_lettered": 1, "dead_lettered_more_than_once": 1,
                                           "documents_beyond_one_per_id": 0}
    assert result["duplicated"] == 2
    assert result["dead_letter_reasons"] == {"index: mapper_parsing_exception": 2, "validate: bad json": 1}


def test_bench_soak_account_counts_extra_documents_of_one_id_as_duplicated():
    result = account({"a", "b"}, Counter(a=3, b=1), [], Counter(), Counter())
    assert result["duplicated"] == 2 and result["indexed"] == 2


def test_bench_soak_account_ignores_ids_not_sent_but_reports_their_documents():
    result = account({"a"}, Counter(a=1, warmup=1), [_letter("other")], Counter(), Counter())
    assert (result["indexed"], result["dead_lettered"], result["lost"]) == (1, 0, 0)
    assert result["documents_not_sent"] == 1


def test_bench_soak_account_reports_topic_redelivery_apart_from_duplicates():
    result = account({"a", "b"}, Counter(a=1, b=1), [], Counter(a=2, b=1), Counter(a=1, b=3))
    assert result["duplicated"] == 0
    assert result["redelivered"] == {"enriched_ids_more_than_once": 1, "enriched_extra_records": 1,
                                     "raw_ids_more_than_once": 1}


def test_bench_soak_reason_kind_without_a_reason():
    assert reason_kind({"stage": "tag"}) == "tag: no reason"


def test_bench_soak_spread_over_a_day_halves_the_offsets_from_the_start_and_keeps_the_rest():
    start = datetime(2026, 12, 1, 21, tzinfo=UTC)
    mentions = [{"id": "x:1", "created_at": "2026-12-01T21:00:00Z"}, {"id": "x:2", "created_at": "2026-12-02T09:00:00Z"},
                {"id": "x:3", "created_at": "2026-12-03T20:59:58Z"}]
    spread = spread_over_a_day(mentions, start)
    assert [m["created_at"] for m in spread] == ["2026-12-01T21:00:00Z", "2026-12-02T03:00:00Z", "2026-12-02T20:59:59Z"]
    assert [m["id"] for m in spread] == ["x:1", "x:2", "x:3"]
    assert mentions[1]["created_at"] == "2026-12-02T09:00:00Z"  # the input is left as it was


def test_bench_soak_vmrss_kib_reads_the_status_line():
    assert vmrss_kib("Name:\tpython\nVmPeak:\t 900 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n") == 123456
    assert vmrss_kib("Name:\tzombie\nState:\tZ (zombie)\n") == 0


def test_bench_soak_descendants_follow_children_of_children_only():
    parents = {10: 1, 11: 10, 12: 11, 13: 1, 14: 12}
    assert sorted(descendants(parents, 10)) == [10, 11, 12, 14]
    assert descendants(parents, 13) == [13]
