import random

from pipeline.tagging.augment import noisy_copies, noisy_text
from pipeline.tagging.datasets import BrandMention


def _mention(text, sentiment="negative", lang="fr", categories=("complaint",)):
    return BrandMention(text=text, lang=lang, platform="twitter", sentiment=sentiment, categories=categories)


MENTIONS = [
    _mention("Colis jamais reçu depuis 3 semaines. #colisperdu 😡"),
    _mention("Toujours rien reçu, c'est la deuxième fois. #BoycottTelMax 🤬"),
    _mention("Super service, merci ! #fleurs 💐", sentiment="positive", categories=("positive",)),
    _mention("Great support, thanks! #happy 😍", sentiment="positive", lang="en", categories=("positive",)),
] * 30


def test_tagging_augment_copies_keep_labels_and_are_reproducible():
    first, second = noisy_copies(MENTIONS, seed=7), noisy_copies(MENTIONS, seed=7)
    assert first == second and first
    originals = {m.text: m for m in MENTIONS}
    for copy in first:
        assert copy.text not in originals and copy.case == "plain+noise"
    assert {(m.sentiment, m.categories, m.lang) for m in first} <= {(m.sentiment, m.categories, m.lang) for m in MENTIONS}


def test_tagging_augment_noise_comes_from_the_same_language_and_sentiment():
    for copy in noisy_copies(MENTIONS, seed=3):
        if copy.sentiment == "positive" and copy.lang == "fr":
            assert "😡" not in copy.text and "🤬" not in copy.text and "😍" not in copy.text
            assert "#colisperdu" not in copy.text and "#happy" not in copy.text
        assert copy.text.count("#BoycottTelMax") <= 1  # a boycott hashtag is meaning, never moved as noise


def test_tagging_augment_noisy_text_adds_only_noise():
    rng = random.Random(1)
    original = "Mon colis est perdu."
    texts = {noisy_text(original, ["#poste"], ["😡"], rng) for _ in range(200)}
    assert len(texts) > 10
    for text in texts:
        words = [w for w in text.split() if not w.startswith(("@", "#")) and "😡" not in w]
        core = " ".join(words).replace("!!", ".")
        assert sorted(core) == sorted(original)  # a typo swaps two letters, nothing else changes the words
        assert {w for w in text.split() if w.startswith("#")} <= {"#poste"}
