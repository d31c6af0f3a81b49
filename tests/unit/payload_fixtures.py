"""The hand-written payloads under tests/unit/fixtures/payloads, as the normaliser tests read them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.sources.results import NormalizeResult, Normalizer

PAYLOADS = Path(__file__).parent / "fixtures" / "payloads"


def payload_runner(platform: str, normalize: Normalizer, **fixed) -> Callable[..., NormalizeResult]:
    """``run(name, **options)``: ``normalize`` over the fixture file ``<platform>/<name>``, with the ``fixed``
    options and the call's own."""
    folder = PAYLOADS / platform

    def run(name: str, **options) -> NormalizeResult:
        return normalize((folder / name).read_bytes(), **fixed, **options)

    return run
