"""The naive baseline of the pipeline benchmark: what a first version would do, in one Faust worker.

One message at a time (``async for event in stream``), the full spaCy pipeline on each mention
(``fr_core_news_sm``: tagger, parser, lemmatizer, NER), a lexicon sentiment over its lemmas, and one
Elasticsearch index call per mention. Reads the same raw topic as Veille's worker, with a consumer group
and an index of its own. Run: ``python -m bench.naive_worker`` with the VEILLE_* variables of a stack and
``NAIVE_INDEX`` (the index to write).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime

import faust
import orjson
import spacy
from elasticsearch import AsyncElasticsearch

from pipeline.gc_tuning import collect_less_often
from pipeline.kafka_polling import EmptyFetchPacing
from pipeline.mention import InvalidMention, parse_mention
from pipeline.settings import get_settings
from pipeline.topics import RAW

settings = get_settings()
EmptyFetchPacing(settings.kafka.empty_fetch_wait).install()  # the same broker workaround as Veille's worker
collect_less_often(settings.gc_young_threshold)  # and the same garbage-collector setting
INDEX = os.environ.get("NAIVE_INDEX", "naive-bench")
NEGATIVE = {"nul", "horrible", "arnaque", "cassé", "retard", "jamais", "pire", "bad", "broken", "scam", "worst",
            "never", "late", "refund", "rembourser", "déçu", "faux"}
POSITIVE = {"super", "génial", "merci", "top", "parfait", "great", "love", "thanks", "perfect", "excellent"}

app = faust.App("veille-naive-bench", broker=[f"kafka://{b}" for b in settings.kafka.bootstrap], key_serializer="raw",
                value_serializer="raw", store="memory://", web_enabled=False, topic_replication_factor=1,
                consumer_auto_offset_reset="earliest", datadir=str(settings.data_dir / "faust-naive"))
raw = app.topic(settings.topic(RAW), key_type=bytes, value_type=bytes)
try:
    nlp = spacy.load("fr_core_news_sm")
except OSError:  # spaCy's E050: the model package is not installed
    sys.exit("bench/naive_worker.py needs spaCy's fr_core_news_sm: run `make bench`, or "
             "pip install -e '.[test,bench]'")


def analyse(text: str) -> dict:
    doc = nlp(text)
    lemmas = [token.lemma_.lower() for token in doc if not token.is_punct]
    score = sum(lemma in POSITIVE for lemma in lemmas) - sum(lemma in NEGATIVE for lemma in lemmas)
    return {"sentiment": "positive" if score > 0 else "negative" if score < 0 else "neutral",
            "entities": [ent.text for ent in doc.ents], "lemmas": lemmas[:50]}


@app.agent(raw)
async def naive(stream):
    client = AsyncElasticsearch(settings.elasticsearch.url)
    try:
        async for event in stream.events():
            try:
                mention = parse_mention(event.message.value or b"")
            except InvalidMention:
                continue
            document = {**orjson.loads(mention.model_dump_json()), **analyse(mention.text),
                        "ingested_at": datetime.fromtimestamp(event.message.timestamp, UTC).isoformat(),
                        "indexed_at": datetime.now(UTC).isoformat()}
            await client.index(index=INDEX, id=mention.id, document=document)
    finally:
        await client.close()


if __name__ == "__main__":
    from agents.worker import Worker  # Faust's worker minus its spinner, as Veille's (a fair baseline)

    sys.argv = [sys.argv[0]]
    Worker(app, loglevel="warning").execute_from_commandline()
