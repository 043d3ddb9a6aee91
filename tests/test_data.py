"""Training batches (training/data.py): context dropout."""

from govtag.training.data import drop_context


def test_drop_context_blanks_a_fixed_share_and_keeps_labels():
    units = [
        {
            "doc_id": "d",
            "seq": i,
            "text": f"句{i}",
            "section": "一、工作成效",
            "title": "某镇工作总结",
            "domain": "经济",
            "type": "achievement",
        }
        for i in range(1000)
    ]
    dropped = drop_context(units, 0.3, seed=7)
    blank = [u for u in dropped if u["section"] == ""]
    assert 250 < len(blank) < 350
    untitled = [u for u in dropped if u["title"] == ""]
    assert 250 < len(untitled) < 350 and 50 < sum(u["section"] == u["title"] == "" for u in dropped) < 150  # apart
    assert dropped == drop_context(units, 0.3, seed=7)
    assert all(u["section"] == "一、工作成效" for u in units)  # the input is not changed
    assert [(u["text"], u["domain"], u["type"]) for u in dropped] == [
        (u["text"], u["domain"], u["type"]) for u in units
    ]
    assert drop_context(units, 0.0, seed=7) is units
