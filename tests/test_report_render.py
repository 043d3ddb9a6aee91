"""report.html renders in a real browser: headless Chromium takes a screenshot and we look at the pixels."""

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from govtag.inference.pipeline import tag_paths
from govtag.inference.tagger import Tagger
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 1200, 2400
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; `make test` installs it)"
)


@pytest.fixture(scope="module")
def screenshot(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    tag_paths([REPO / "examples"], Tagger.load(tiny_model), out, formats=("jsonl",))
    png = out / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            (out / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def longest_dark_run(row: np.ndarray) -> tuple[int, int]:
    """(length, first column) of the longest run of near-black pixels in one row of the screenshot."""
    dark = np.r_[False, (row < 100).all(axis=1), False]
    edges = np.flatnonzero(np.diff(dark.astype(int)))
    starts, ends = edges[::2], edges[1::2]
    if not len(starts):
        return 0, 0
    i = int(np.argmax(ends - starts))
    return int(ends[i] - starts[i]), int(starts[i])


def chart_boxes(pixels: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of each matplotlib axes box, found by its long black top and bottom
    spines: text, table borders and the pale review highlight have no such lines."""
    lines, last = [], -10
    for y, row in enumerate(pixels):
        length, x = longest_dark_run(row)
        if length > 250:
            if y - last > 3:
                lines.append((y, x, x + length))
            last = y
    return [(top, bottom, x0, x1) for (top, x0, x1), (bottom, _, _) in zip(lines[::2], lines[1::2])]


def test_screenshot_is_a_full_page_picture(screenshot):
    assert screenshot.shape == (HEIGHT, WIDTH, 3)
    assert (screenshot > 245).all(axis=2).mean() < 0.95  # not a blank page


def test_both_charts_are_drawn_and_visible(screenshot):
    boxes = chart_boxes(screenshot)
    assert len(boxes) == 2, boxes  # the domain × type heatmap, then the domain mix per document
    colours = set()
    for top, bottom, left, right in boxes:
        assert bottom - top > 200 and right - left > 300, (top, bottom, left, right)  # drawn at a readable size
        inside = screenshot[top + 3 : bottom - 2, left + 3 : right - 2].reshape(-1, 3)
        painted = inside[(inside < 235).any(axis=1)]  # not white
        coloured = inside[inside.max(axis=1) - inside.min(axis=1) > 40]  # not white, grey or black
        assert len(painted) > 0.05 * len(inside) and len(coloured) > 0.01 * len(inside), "blank chart"
        assert inside.std() > 30, "a flat block, not a chart"
        colours |= {tuple(c) for c in painted}
    assert len(colours) >= 10
    assert boxes[1][1] < HEIGHT - 100  # both charts end well inside the first screen, not cut off
