"""Term extraction (hashtags, @mentions, products, FR/EN keywords) and per-term burst scores."""

from __future__ import annotations

import pytest

from pipeline.trends.terms import (
    BurstConfig,
    ProductMatcher,
    Term,
    TermHistory,
    burst_scores,
    count_terms,
    extract_terms,
    keywords,
)

PRODUCTS = ProductMatcher.from_names(["iPhone 15", "Livebox", "Galaxy S24"])


def texts_of(terms, kind):
    return [term.text for term in terms if term.kind == kind]


def test_trends_terms_hashtags_and_mentions_are_case_folded():
    terms = extract_terms("Merci @SNCF pour rien #Grève #GRÈVE #2024 @sncf")
    assert texts_of(terms, "hashtag") == ["#grève"]
    assert texts_of(terms, "mention") == ["@sncf"]


def test_trends_terms_products_match_whole_names_in_any_case_and_spacing():
    terms = extract_terms("My IPHONE   15 died, the iphone 150 is fake, livebox down, liveboxes fine", PRODUCTS)
    assert texts_of(terms, "product") == ["iphone 15", "livebox"]
    own_words = extract_terms("My IPHONE 15 died again", PRODUCTS)
    assert texts_of(own_words, "product") == ["iphone 15"]
    assert "iphone" not in texts_of(own_words, "keyword")


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("The battery of this phone is really terrible", ["battery", "phone", "terrible"], ["the", "this", "really"]),
        ("Le service client est vraiment très lent", ["service", "client", "lent"], ["est", "très", "le"]),
        ("Qu'est-ce que c'est que cette panne d'électricité", ["panne", "électricité"], ["est-ce", "qu'est-ce", "c'est"]),
    ],
)
def test_trends_terms_keywords_drop_french_and_english_stop_words(text, expected, absent):
    words = keywords(text, bigrams=False)
    assert all(word in words for word in expected)
    assert not any(word in words for word in absent)


def test_trends_terms_urls_emails_and_numbers_are_not_keywords():
    terms = extract_terms("voir https://exemple.fr/panne?id=42 ou écrire à support@orange.fr 2024 123", bigrams=False)
    assert texts_of(terms, "keyword") == ["voir", "écrire"]
    assert texts_of(terms, "mention") == []


def test_trends_terms_pairs_never_span_punctuation_or_cut_out_terms():
    terms = extract_terms("Grève demain, application cassée. Broken iPhone 15 screen", PRODUCTS)
    pairs = [text for text in texts_of(terms, "keyword") if " " in text]
    assert "grève demain" in pairs and "application cassée" in pairs
    assert "demain application" not in pairs and "broken screen" not in pairs


def test_trends_terms_a_term_counts_once_per_mention():
    counts, mentions = count_terms(["panne panne panne #panne", "encore une panne"])
    assert mentions == 2
    assert counts[Term("keyword", "panne")] == 2
    assert counts[Term("hashtag", "#panne")] == 1


def test_trends_terms_burst_needs_minimum_count_and_flags_emerging_terms():
    new, old, rare = Term("hashtag", "#boycott"), Term("keyword", "livraison"), Term("keyword", "colis")
    current = {new: 12, old: 12, rare: 2}
    baseline = {old: 12 * 24}
    bursts = burst_scores(current, baseline, baseline_windows=24, config=BurstConfig(min_count=5, min_score=3.0))
    assert [burst.term for burst in bursts] == [new]
    assert bursts[0].emerging is True and bursts[0].count == 12


def test_trends_terms_burst_score_grows_with_the_jump_over_the_own_baseline():
    term = Term("keyword", "remboursement")
    scores = [
        burst_scores({term: count}, {term: 2 * 24}, 24, BurstConfig(min_count=1, min_score=-100))[0].score
        for count in (4, 10, 40)
    ]
    assert scores == sorted(scores) and scores[0] < 3 < scores[-1]


def test_trends_terms_volume_ratio_ranks_by_share_not_by_volume():
    term = Term("keyword", "offre")
    baseline = {term: 10 * 24}
    plain = burst_scores({term: 40}, baseline, 24)
    doubled_traffic = burst_scores({term: 40}, baseline, 24, volume_ratio=4.0)
    assert plain and not doubled_traffic


def test_trends_terms_history_keeps_only_the_last_windows():
    history = TermHistory(windows=2)
    panne = Term("keyword", "panne")
    history.close_window({panne: 50}, mentions=100)
    history.close_window({}, mentions=100)
    history.close_window({}, mentions=100)
    assert history.closed_windows == 2 and panne not in history.baseline
    bursts = history.bursts({panne: 30}, mentions=100)
    assert [burst.term for burst in bursts] == [panne] and bursts[0].emerging


def test_trends_terms_history_is_silent_before_any_window_closed():
    assert TermHistory().bursts({Term("keyword", "panne"): 100}, mentions=100) == []


@pytest.mark.parametrize("bad", [{"baseline_windows": 0}, {"volume_ratio": 0.0}])
def test_trends_terms_burst_rejects_meaningless_arguments(bad):
    arguments = {"current": {}, "baseline": {}, "baseline_windows": 3, **bad}
    with pytest.raises(ValueError):
        burst_scores(**arguments)
