from pipeline.mention import EnrichedMention
from pipeline.settings import Settings
from pipeline.sinks.elasticsearch import MENTION_PROPERTIES, classify_item, mentions_index_template


def test_sinks_elasticsearch_template_analyzes_text_in_french_and_english():
    template = mentions_index_template(Settings())
    text = template["template"]["mappings"]["properties"]["text"]
    assert text["fields"]["fr"]["analyzer"] == "french"
    assert text["fields"]["en"]["analyzer"] == "english"
    assert template["index_patterns"] == ["veille-mentions*"]


def test_sinks_elasticsearch_mapping_covers_every_enriched_field():
    assert set(EnrichedMention.model_fields) <= set(MENTION_PROPERTIES)


def test_sinks_elasticsearch_bulk_items_are_classified():
    assert classify_item(True, {"index": {"status": 201}})[0] == "ok"
    assert classify_item(False, {"index": {"status": 409}})[0] == "ok"
    assert classify_item(False, {"index": {"status": 429, "error": {"type": "es_rejected"}}})[0] == "retry"
    assert classify_item(False, {"index": {"status": 503}})[0] == "retry"
    verdict, reason = classify_item(False, {"index": {"status": 400, "error": {"type": "mapper_parsing_exception",
                                                                             "reason": "failed to parse [created_at]"}}})
    assert verdict == "dead" and "mapper_parsing_exception" in reason and "created_at" in reason
