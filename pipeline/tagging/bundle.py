"""The shipped model: featurizer IDF, one weight matrix for all heads, and each head's layout and threshold.

Saved without pickle (a compressed ``.npz`` of arrays plus a ``.json`` of metadata), so loading a model
file never runs code and the format is readable from any language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.tagging.features import Featurizer

MODEL_NAME = "veille-linear-v9"


@dataclass
class ModelBundle:
    version: str
    featurizer: Featurizer
    weights: np.ndarray  # n_features × n_outputs, float32
    bias: np.ndarray  # n_outputs
    # name -> {"classes": [...], "start": column, "threshold": float | None, "offsets": [per-class logit shift] | None,
    #          "gate": binary head whose P(yes) below its threshold scales this head's P(yes) down | None}
    heads: dict[str, dict]
    report: dict = field(default_factory=dict)

    def head_width(self, name: str) -> int:
        classes = self.heads[name]["classes"]
        return 1 if len(classes) == 2 else len(classes)

    def all_logits(self, X) -> np.ndarray:
        return np.asarray(X @ self.weights) + self.bias

    def head_probabilities(self, logits: np.ndarray, name: str) -> np.ndarray:
        """(n, n_classes) for multi-class heads; (n,) of P(yes) for binary heads."""
        start = self.heads[name]["start"]
        p = self._probabilities(name, logits[:, start: start + self.head_width(name)])
        gate = self.heads[name].get("gate")
        return self._gated(p, gate, self.head_probabilities(logits, gate)) if gate else p

    def head_scores(self, X, name: str) -> np.ndarray:
        start, width = self.heads[name]["start"], self.head_width(name)
        logits = np.asarray(X @ self.weights[:, start: start + width]) + self.bias[start: start + width]
        p = self._probabilities(name, logits)
        gate = self.heads[name].get("gate")
        return self._gated(p, gate, self.head_scores(X, gate)) if gate else p

    def threshold(self, name: str) -> float:
        """The P(yes) cut-off of a binary head: its tuned threshold, else 0.5."""
        value = self.heads[name].get("threshold")
        return 0.5 if value is None else float(value)

    def _gated(self, p_yes: np.ndarray, gate: str, p_gate: np.ndarray) -> np.ndarray:
        """P(yes) where the gate head says yes; below the gate's threshold, scaled down in proportion."""
        return p_yes * np.minimum(1.0, p_gate / self.threshold(gate))

    def _probabilities(self, name: str, logits: np.ndarray) -> np.ndarray:
        offsets = self.heads[name].get("offsets")
        return probabilities(logits + np.asarray(offsets, dtype=logits.dtype) if offsets else logits)


def category_head(heads, category: str, lang: str | None) -> str | None:
    """The head that decides ``category`` for text in ``lang``: a per-language head (``troll_fr``) when there
    is one, else the category's own head; None when neither exists (a per-language category, another language)."""
    for name in (f"{category}_{lang}", category):
        if name in heads:
            return name
    return None


def probabilities(logits: np.ndarray) -> np.ndarray:
    if logits.shape[1] == 1:
        return 1.0 / (1.0 + np.exp(-logits[:, 0]))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def model_paths(model_dir: Path, name: str = MODEL_NAME) -> tuple[Path, Path]:
    return model_dir / f"{name}.npz", model_dir / f"{name}.json"


def save_bundle(bundle: ModelBundle, model_dir: Path) -> tuple[Path, Path]:
    arrays_path, meta_path = model_paths(model_dir, bundle.version)
    model_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(arrays_path, weights=bundle.weights, bias=bundle.bias,
                        idf=bundle.featurizer.idf.idf_.astype(np.float32))
    meta = {"version": bundle.version, "heads": bundle.heads, "report": bundle.report,
            "word_features": bundle.featurizer.word_features, "char_features": bundle.featurizer.char_features,
            "embedding_scale": bundle.featurizer.embedding_scale, "evidence": bundle.featurizer.evidence,
            "fold_accents": bundle.featurizer.fold_accents}
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return arrays_path, meta_path


def load_bundle(model_dir: Path, name: str = MODEL_NAME) -> ModelBundle:
    """Load a saved model; raises FileNotFoundError when either file is missing."""
    arrays_path, meta_path = model_paths(model_dir, name)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    with np.load(arrays_path, allow_pickle=False) as arrays:
        weights, bias, idf = arrays["weights"], arrays["bias"], arrays["idf"]
    featurizer = Featurizer(meta["word_features"], meta["char_features"], meta.get("embedding_scale", 0.0),
                            meta.get("evidence", False), meta.get("fold_accents", False))
    if weights.shape[0] != featurizer.n_features or idf.shape[0] != featurizer.word_features + featurizer.char_features:
        raise ValueError(f"{arrays_path}: weights for {weights.shape[0]} features, metadata says {featurizer.n_features}")
    featurizer.set_idf(idf)
    return ModelBundle(meta["version"], featurizer, np.ascontiguousarray(weights), bias, meta["heads"], meta.get("report", {}))
