"""Which offsets `veille reprocess --since T` reads in each partition."""

from pipeline.reprocess import ReprocessProgress, plan_ranges


def test_reprocess_ranges_start_at_t_and_stop_at_the_end_seen_at_start():
    assert plan_ranges({0: 5, 1: 0, 2: None, 3: 9}, {0: 10, 1: 3, 2: 7, 3: 9}) == {0: (5, 10), 1: (0, 3)}


def test_reprocess_ranges_empty_log():
    assert plan_ranges({0: None}, {0: 0}) == {}


def test_reprocess_progress_line():
    progress = ReprocessProgress(total=200, read=50, indexed=48, dead_lettered=1, erased=1)
    assert progress.line() == "50/200 records (25%): 48 indexed, 1 dead-lettered, 1 of erased authors dropped"
