"""TF-IDF + logistic regression, trained on the same split: the baseline every evaluation shows beside the
model, and, with `model.tfidf_blend`, part of the model itself (its probabilities blended with the encoder's:
blend.py). Saved as JSON and safetensors, never pickled."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ..labels.schema import TASKS, Schema
from .blend import blend
from .model_inputs import context
from .normalize import model_form

TFIDF_FILES = META, ARRAYS = ("tfidf.json", "tfidf.safetensors")  # in a model directory with model.tfidf_blend
FEATURES = dict(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)


def baseline_inputs(units: list[dict], section_chars: int) -> list[str]:
    return [model_form(f"{context(u.get('section') or '', section_chars)} || {u['text']}") for u in units]


class Baseline:
    def __init__(self, section_chars: int = 48, seed: int = 0):
        self.section_chars = section_chars
        # scikit-learn (and SciPy, about 150 MB) is imported only by the models that have a TF-IDF part
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(**FEATURES, min_df=2)
        self.heads = {
            t: LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=seed) for t in TASKS
        }
        self.weights = {t: 0.0 for t in TASKS}  # in the model's blend, fitted on dev (blend.py)

    def fit(self, units: list[dict]) -> Baseline:
        x = self.vectorizer.fit_transform(baseline_inputs(units, self.section_chars))
        for t in TASKS:
            self.heads[t].fit(x, [u[t] for u in units])
        return self

    def predict(self, units: list[dict]) -> dict[str, list[str]]:
        x = self.vectorizer.transform(baseline_inputs(units, self.section_chars))
        return {t: list(self.heads[t].predict(x)) for t in TASKS}

    def probabilities(self, units: list[dict], schema: Schema) -> dict[str, np.ndarray]:
        """Rows in the order of `units`, columns in the schema's label order (0 for a label the training split
        did not have)."""
        x = self.vectorizer.transform(baseline_inputs(units, self.section_chars))
        out = {}
        for t in TASKS:
            labels = schema.labels(t)
            out[t] = np.zeros((len(units), len(labels)))
            out[t][:, [labels.index(c) for c in self.heads[t].classes_]] = self.heads[t].predict_proba(x)
        return out

    def blend(self, logits: dict[str, np.ndarray], probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The encoder's logits of each task blended with this model's `probabilities`, by `weights`."""
        return {t: blend(logits[t], probs[t], self.weights[t]) for t in TASKS}

    def save(self, model_dir: str | Path) -> Path:
        """Write tfidf.json and tfidf.safetensors; return the latter (safetensors writes it private)."""
        vocabulary = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        meta = {
            "section_chars": self.section_chars,
            "weights": self.weights,
            "vocabulary": vocabulary,
            "classes": {t: [str(c) for c in self.heads[t].classes_] for t in TASKS},
        }
        (Path(model_dir) / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays = {"idf": self.vectorizer.idf_}
        for t in TASKS:
            arrays[f"{t}.coef"], arrays[f"{t}.intercept"] = self.heads[t].coef_, self.heads[t].intercept_
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(Path(model_dir) / ARRAYS))
        return Path(model_dir) / ARRAYS

    @classmethod
    def load(cls, model_dir: str | Path) -> Baseline:
        """Raises ValueError naming the file that is unreadable or does not fit the other."""
        meta_path, arrays_path = Path(model_dir) / META, Path(model_dir) / ARRAYS
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            tfidf = cls(meta["section_chars"])
            tfidf.weights = {t: float(meta["weights"][t]) for t in TASKS}
            vocabulary, classes = meta["vocabulary"], meta["classes"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{meta_path}: not a TF-IDF model file ({e!r})") from None
        try:
            arrays = load_file(str(arrays_path))
            tfidf.vectorizer = type(tfidf.vectorizer)(
                **FEATURES, vocabulary={term: i for i, term in enumerate(vocabulary)}
            )
            tfidf.vectorizer.idf_ = arrays["idf"]
            for t in TASKS:
                head = tfidf.heads[t]
                head.classes_, head.coef_, head.intercept_ = (
                    np.array(classes[t]),
                    arrays[f"{t}.coef"],
                    arrays[f"{t}.intercept"],
                )
                if head.coef_.shape != (len(classes[t]) if len(classes[t]) > 2 else 1, len(vocabulary)):
                    raise ValueError(
                        f"{t} weights of shape {head.coef_.shape} for {len(classes[t])} classes "
                        f"and {len(vocabulary)} terms"
                    )
        except (OSError, SafetensorError, ValueError, KeyError) as e:
            raise ValueError(
                f"{arrays_path}: cannot read the TF-IDF weights, or they do not match {META} ({e})"
            ) from None
        return tfidf
