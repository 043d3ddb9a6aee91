import json
import re
from pathlib import Path

from govtag.inference.normalize import clean_line, fold_width, model_form, to_simplified
from govtag.labels.corpus import data_files

REPO = Path(__file__).resolve().parent.parent


def test_width_is_folded_and_controls_removed():
    assert fold_width("（一）全年学习３０次！\u3000") == "(一)全年学习30次! "
    assert clean_line(" 全年发放\x08补贴\x7f。\ufeff ") == "全年发放补贴。"


def test_traditional_characters_are_read_as_simplified():
    assert (
        to_simplified("鄉鎮2023年安全生產工作總結:黨建引領,經濟發展") == "乡镇2023年安全生产工作总结:党建引领,经济发展"
    )
    assert model_form("社區黨委（繁體）") == "社区党委(繁体)"


def test_characters_used_in_simplified_text_too_are_left_alone():
    assert to_simplified("於是乾隆") == "於是乾隆"  # 於 and 乾 are simplified characters as well


def test_simplified_text_of_the_corpus_is_unchanged():
    """The written documents of the simplified writers: to_simplified changes no character of theirs."""
    changed = []
    for path in data_files(REPO / "labels" / "data"):
        number = re.fullmatch(r"w(\d+)", path.stem)
        if path.stem != "seeds" and not (number and int(number.group(1)) <= 21):
            continue  # later files hold traditional-character pages on purpose
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            if to_simplified(text) != text:
                changed.append(text)
    assert changed == []
