"""The tag stage in processes of its own, beside the worker's event loop.

A Python process runs one thread at a time: tagging in a thread of the worker slows down its event loop
(fetching, sending, indexing, the trend and crisis agents) and is slowed down by it. ``TagPool`` tags
batches in ``processes`` child processes (started with ``spawn``: the worker has threads, which ``fork``
would copy mid-flight), each with the tagger loaded once. With ``processes=0`` it tags in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipeline.gc_tuning import collect_less_often, freeze_startup_objects
from pipeline.privacy import ErasureSet
from pipeline.processing import RawRecord, RoutedBatch, tag_and_route

log = logging.getLogger(__name__)

_WARM_UP = RawRecord(
    value=b'{"id":"rss:warm-up","platform":"rss","native_id":"warm-up","source":"warm-up","url":"https://example.org/1",'
          b'"created_at":"2026-01-01T00:00:00Z","text":"Warm-up: colis jamais livr\\u00e9, service client nul",'
          b'"author":{"id":"a"},"watch":["warm-up"]}',
    topic="warm-up", partition=0, offset=0,
)


def _tag_in_this_process(records: Sequence[RawRecord], erased: ErasureSet | None) -> RoutedBatch:
    from pipeline.tagging import get_tagger

    return tag_and_route(records, get_tagger(), erased)


def _start_child(gc_young_threshold: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="[%(asctime)s] [%(process)d] [%(levelname)s] tagger: %(message)s")
    collect_less_often(gc_young_threshold)
    _tag_in_this_process([_WARM_UP], None)  # loads the model and every lazy table before the first batch
    freeze_startup_objects()


class TagPool:
    def __init__(self, processes: int, gc_young_threshold: int = 0) -> None:
        self.processes = processes
        self.gc_young_threshold = gc_young_threshold
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child, initargs=(self.gc_young_threshold,))
        return self._executor

    async def start(self) -> None:
        """Start the processes and load the tagger in each (or in this process), before the first batch."""
        loop = asyncio.get_running_loop()
        if self.processes == 0:
            await loop.run_in_executor(None, _tag_in_this_process, [_WARM_UP], None)
            return
        await asyncio.gather(*(loop.run_in_executor(self._pool(), _tag_in_this_process, [_WARM_UP], None)
                               for _ in range(self.processes)))

    async def tag(self, records: Sequence[RawRecord], erased: ErasureSet | None) -> RoutedBatch:
        loop = asyncio.get_running_loop()
        if self.processes == 0:
            return await loop.run_in_executor(None, _tag_in_this_process, records, erased)
        try:
            return await loop.run_in_executor(self._pool(), _tag_in_this_process, records, erased)
        except BrokenProcessPool:
            log.error("a tagging process died (batch %s[%s]@%s..%s); starting new ones and tagging it again",
                      records[0].topic, records[0].partition, records[0].offset, records[-1].offset)
            self.close()
            return await loop.run_in_executor(self._pool(), _tag_in_this_process, records, erased)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
