import asyncio
import gc
import os
import signal

import orjson

from pipeline.processing import RawRecord, tag_and_route
from pipeline.tag_pool import TagPool
from pipeline.tagging import get_tagger


def _records(count: int) -> list[RawRecord]:
    return [RawRecord(value=orjson.dumps({
        "platform": "mastodon", "native_id": str(n), "source": "mastodon.social", "author": {"id": f"u{n}"},
        "text": f"Mon colis Lumio n'est jamais arrivé, service client injoignable #{n}",
        "created_at": "2026-11-21T09:00:00Z", "watch": ["Lumio"]}), topic="mentions.raw", partition=0, offset=n)
        for n in range(count)]


def _tags(routed):
    return [{k: v for k, v in orjson.loads(value).items() if k != "tagged_at"} for _, value in routed.enriched]


def test_tag_pool_tags_in_another_process_like_in_this_one():
    async def run():
        pool = TagPool(1)
        try:
            await pool.start()
            routed = await pool.tag(_records(20), None)
            children = list(pool._executor._processes)
        finally:
            pool.close()
        return routed, children

    routed, children = asyncio.run(run())
    assert children and os.getpid() not in children
    assert _tags(routed) == _tags(tag_and_route(_records(20), get_tagger()))
    assert sum(len(orjson.loads(value)) for _, value in routed.signals) == 20


def test_tag_pool_children_collect_less_often_and_freeze_what_they_loaded():
    async def run():
        pool = TagPool(1, gc_young_threshold=12_345)
        try:
            await pool.start()
            executor = pool._pool()
            return executor.submit(gc.get_threshold).result(), executor.submit(gc.get_freeze_count).result()
        finally:
            pool.close()

    thresholds, frozen = asyncio.run(run())
    assert thresholds[0] == 12_345
    assert frozen > 10_000  # the tagger's tables and modules, out of later collections


def test_tag_pool_replaces_a_dead_tagging_process_and_loses_no_batch():
    async def run():
        pool = TagPool(1)
        try:
            await pool.start()
            for pid in list(pool._executor._processes):
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            return await pool.tag(_records(5), None)
        finally:
            pool.close()

    routed = asyncio.run(run())
    assert [key for key, _ in routed.enriched] == [f"mastodon:{n}".encode() for n in range(5)]


def test_tag_pool_without_processes_tags_in_a_thread():
    async def run():
        pool = TagPool(0)
        await pool.start()
        return await pool.tag(_records(3), None)

    assert len(asyncio.run(run()).enriched) == 3
