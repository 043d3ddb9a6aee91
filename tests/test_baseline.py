import re
import shutil

import numpy as np
import pytest

from govtag.inference.baseline import ARRAYS, META, Baseline
from govtag.inference.blend import blend
from govtag.inference.bundle import ModelDirError
from govtag.inference.calibration import softmax
from govtag.inference.tagger import Tagger
from govtag.labels.schema import TASKS, load_schema


@pytest.fixture(scope="module")
def fitted(seed_units):
    return Baseline(section_chars=24, seed=0).fit(seed_units[:300])


def test_probabilities_follow_the_schemas_label_order(fitted, seed_units):
    schema, units = load_schema(), seed_units[300:]
    probs = fitted.probabilities(units, schema)
    predicted = fitted.predict(units)
    for t in TASKS:
        assert probs[t].shape == (len(units), len(schema.labels(t)))
        assert np.allclose(probs[t].sum(1), 1)
        assert [schema.labels(t)[i] for i in probs[t].argmax(1)] == predicted[t]


def test_saved_and_loaded_it_gives_the_same_probabilities(fitted, seed_units, tmp_path):
    fitted.weights = {"domain": 0.6, "type": 0.3}
    fitted.save(tmp_path)
    loaded = Baseline.load(tmp_path)
    schema = load_schema()
    assert loaded.weights == fitted.weights and loaded.section_chars == 24
    for t in TASKS:
        assert np.array_equal(loaded.probabilities(seed_units, schema)[t], fitted.probabilities(seed_units, schema)[t])


def test_a_blended_model_tags_with_the_blend_of_both_parts(tiny_separate_model, seed_units):
    tagger, units = Tagger.load(tiny_separate_model, backend="torch"), seed_units[300:360]
    tagger.document_step = {}  # the blend alone, before the document step
    tfidf = tagger.tfidf
    assert (tiny_separate_model / META).exists() and (tiny_separate_model / ARRAYS).exists()
    assert any(tfidf.weights.values())  # the tiny random encoder is worse than TF-IDF on dev
    probs = tagger.probabilities(units)
    tagger.tfidf = None
    encoder = tagger.logits(units)
    tfidf_probs = tfidf.probabilities(units, tagger.schema)
    for t in TASKS:
        expected = softmax(blend(encoder[t], tfidf_probs[t], tfidf.weights[t]), tagger.temperature[t])
        assert np.allclose(probs[t], expected)


@pytest.mark.parametrize(
    "name, damage, message",
    [
        (META, lambda p: p.unlink(), f"missing {META}"),
        (ARRAYS, lambda p: p.unlink(), f"missing {ARRAYS}"),
        (META, lambda p: p.write_text("{", encoding="utf-8"), f"{META}: not a TF-IDF model file"),
        (ARRAYS, lambda p: p.write_bytes(p.read_bytes()[:3000]), f"{ARRAYS}: cannot read the TF-IDF weights"),
    ],
)
def test_a_damaged_tfidf_part_is_a_model_dir_error_naming_the_file(
    tiny_separate_model, tmp_path, name, damage, message
):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_separate_model, broken)
    damage(broken / name)
    with pytest.raises(ModelDirError, match=re.escape(message)):
        Tagger.load(broken)
