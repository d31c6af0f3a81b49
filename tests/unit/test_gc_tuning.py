import gc

import pytest

from pipeline.gc_tuning import collect_less_often, freeze_startup_objects


@pytest.fixture
def restored_collector():
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_gc_tuning_collect_less_often_raises_only_the_young_threshold(restored_collector):
    gc.set_threshold(700, 10, 10)
    collect_less_often(50_000)
    assert gc.get_threshold() == (50_000, 10, 10)


def test_gc_tuning_zero_keeps_pythons_thresholds(restored_collector):
    gc.set_threshold(700, 10, 10)
    collect_less_often(0)
    assert gc.get_threshold() == (700, 10, 10)


def test_gc_tuning_frozen_objects_are_left_out_of_collections(restored_collector):
    loaded_at_start = [[n] for n in range(1000)]
    freeze_startup_objects()
    assert gc.get_freeze_count() >= len(loaded_at_start)
    made_later = [0]
    seen_by_collector = {id(item) for item in gc.get_objects()}
    assert id(loaded_at_start[0]) not in seen_by_collector
    assert id(made_later) in seen_by_collector
