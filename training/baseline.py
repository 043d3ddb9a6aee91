"""TF-IDF + logistic regression baseline, trained on the same split, to show what the encoder adds."""
from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from labels.schema import TASKS

from .data import context


def baseline_inputs(units: list[dict], section_chars: int) -> list[str]:
    return [f"{context(u.get('section') or '', section_chars)} || {u['text']}" for u in units]


class Baseline:
    def __init__(self, section_chars: int = 48, seed: int = 0):
        self.section_chars = section_chars
        self.models = {t: make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                                                        min_df=2),
                                        LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced",
                                                           random_state=seed))
                       for t in TASKS}

    def fit(self, units: list[dict]) -> "Baseline":
        x = baseline_inputs(units, self.section_chars)
        for t in TASKS:
            self.models[t].fit(x, [u[t] for u in units])
        return self

    def predict(self, units: list[dict]) -> dict[str, list[str]]:
        x = baseline_inputs(units, self.section_chars)
        return {t: list(self.models[t].predict(x)) for t in TASKS}
