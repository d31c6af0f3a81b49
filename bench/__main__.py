"""Run every benchmark (or those named on the command line): ``python -m bench [pipeline tagging tagging_candidates spikes alert_latency soak]``.

Each benchmark runs with its default options; run ``python -m bench.bench_<name> --help`` for its own."""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = ["pipeline", "tagging", "tagging_candidates", "spikes", "alert_latency", "soak"]


def main(argv: list[str]) -> int:
    names = argv or BENCHES
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        try:
            code = module.main([])
        except SystemExit as exc:
            code = exc.code
        if code not in (0, None):
            failed.append(name)
        print(f"== bench {name} done in {time.monotonic() - started:.0f}s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
