"""The JSON-lines replay as a live source: mentions appended to a file are sent as they arrive, from
the byte offset saved in the checkpoint (``tail -f`` that survives restarts). Lines that are not valid
mentions go to the dead-letter topic with their line number; a mention keeps the watches it declares
and gains those it matches."""

from __future__ import annotations

from pipeline.sources.replay.options import ReplayOptions
from pipeline.sources.runtime import LiveConnector
from pipeline.sources.webhook.normalize import normalize_mentions

BATCH_LINES = 1000


class ReplaySource(LiveConnector):
    type = "replay"
    spec: ReplayOptions
    keep_declared_watch = True

    def streams(self) -> list[str]:
        return [str(self.spec.file)]

    async def poll_stream(self, stream: str) -> None:
        offset = int(self.cursors.get(stream, {}).get("offset", 0))
        with open(stream, "rb") as handle:  # noqa: ASYNC230 - a local file, read a batch at a time
            handle.seek(0, 2)
            if handle.tell() < offset:  # the file was replaced or truncated: start again
                offset = 0
            handle.seek(offset)
            while True:
                lines = []
                for _ in range(BATCH_LINES):
                    line = handle.readline()
                    if not line.endswith(b"\n"):
                        break  # a line still being written is read at the next poll
                    lines.append(line)
                if not lines:
                    return
                payload = b"".join(lines)
                result = normalize_mentions(payload)
                await self.emit(result, payload=payload, where=f"{stream}@{offset}")
                offset += len(payload)
                self.cursors[stream] = {"offset": offset}
                await self.checkpoint()
