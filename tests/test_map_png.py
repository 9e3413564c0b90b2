"""The 导出 PNG picture in headless Chromium: twice the device pixel ratio, a title band in the page's
language, the map as shown, a legend of the node types visible (in the ontology's colours), the sources
the visible nodes cite, the date and the product's name — from a served page and from a standalone copy.

The PNG is decoded here (zlib and struct, no imaging library), not by the browser that made it; what it
should show comes from the JSON API (the view, the ontology, the sources).
"""

from __future__ import annotations

import base64
import datetime
import json
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.i18n import text
from loaders import load_dataset
from tests.test_map_gaps import READY, api, watched_page
from tests.test_map_support import chromium, served_graph, wait_until

pytest.importorskip("playwright.sync_api")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLUSTER = "cluster-new-materials"
BLOCK = 8
"""Side, in screen pixels, of the blocks in which the picture's map is compared with the screen's."""


# -- reading a PNG ---------------------------------------------------------------------------------------------
def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of an 8-bit RGB or RGBA, non-interlaced PNG as an array (height, width, channels);
    every chunk's CRC is checked."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    assert len(raw) == height * (stride + 1)
    rows = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:    # Sub: each byte adds the one a pixel to its left, channel by channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(stride) & 255
        elif kind == 2:    # Up
            cur = (line + prev) & 255
        elif kind in (3, 4):   # Average, Paeth: the left neighbour is the decoded one, byte by byte
            out, up = line.tolist(), prev.tolist()
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    out[i] = (out[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(out, dtype=np.int32)
        else:
            raise AssertionError(f"unknown filter {kind} in row {y}")
        rows[y] = cur
        prev = cur
    return rows.reshape(height, width, bpp)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def region(pixels: np.ndarray, box: dict) -> np.ndarray:
    return pixels[box["y"]:box["y"] + box["height"], box["x"]:box["x"] + box["width"], :3]


def count_colour(area: np.ndarray, colour: str) -> int:
    return int(np.all(area == np.array(hex_rgb(colour), dtype=np.uint8), axis=2).sum())


def luminance(area: np.ndarray) -> np.ndarray:
    return area[..., 0] * 0.299 + area[..., 1] * 0.587 + area[..., 2] * 0.114


# -- the page --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    """The app on a graph holding the curated dataset, served on a loopback port."""
    with served_graph(engine, lambda store: load_dataset(store, "shanxi")) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def open_map(page: Any, url: str) -> None:
    """Open a map page and wait until it is drawn, its 补链 panel (if any) filled and its layout still."""
    page.goto(url)
    wait_until(page, READY, 30)
    wait_until(page, "!ecomap.refitting && (!document.getElementById('gaps') || "
                     "document.querySelector('#gaps-score') !== null)", 30)
    still(page)


def still(page: Any, timeout: float = 10.0) -> None:
    """Wait until the map's size and view stay the same for a moment (banners above it may still grow)."""
    probe = ("(() => { const c = ecomap.network.canvas.frame.canvas, n = ecomap.network;"
             " return JSON.stringify([c.clientWidth, c.clientHeight, n.getScale(), n.getViewPosition(),"
             " ecomap.refitting]); })()")
    deadline = time.monotonic() + timeout
    last = page.evaluate(probe)
    while True:
        page.wait_for_timeout(250)
        now = page.evaluate(probe)
        if now == last or time.monotonic() > deadline:
            return
        last = now


def export_png(page: Any) -> tuple[bytes, dict, dict]:
    """Click 导出 PNG: the downloaded bytes, the picture's layout, and the map canvas as it is now."""
    with page.expect_download() as download:
        page.click("#btn-png")
    data = Path(download.value.path()).read_bytes()
    kept = page.evaluate("ecomap.lastPng")
    assert kept.startswith("data:image/png;base64,")
    assert base64.b64decode(kept.split(",", 1)[1]) == data, "window.ecomap.lastPng is not the picture downloaded"
    layout = page.evaluate("Ecomap.exporter.lastLayout")
    layout["screen"] = page.locator("#map canvas").screenshot(animations="disabled")
    canvas = page.evaluate("""() => { const c = ecomap.network.canvas.frame.canvas;
        return {cssWidth: c.clientWidth, cssHeight: c.clientHeight, width: c.width, height: c.height,
                dpr: window.devicePixelRatio}; }""")
    return data, layout, canvas


def visible_types(page: Any) -> set[str]:
    return set(page.evaluate("ecomap.visibleNodeIds().map(id => ecomap.records.get(id).type)"))


def cited_titles(base: str, nodes: list[dict]) -> list[str]:
    """Titles of the sources the nodes cite (per /api/sources), most cited first."""
    counts: dict[str, int] = {}
    for n in nodes:
        for c in n["properties"].get("sources") or []:
            counts[c.split("#")[0]] = counts.get(c.split("#")[0], 0) + 1
    titles = {s["id"]: s["title"] for s in api(base, "/api/sources?limit=100")["items"]}
    return [titles.get(s, s) for s in sorted(counts, key=lambda s: (-counts[s], s))]


def check_picture(data: bytes, layout: dict, canvas: dict, colours: dict[str, str], shown: set[str]) -> np.ndarray:
    """Size, title band, legend and content of a picture; returns its pixels."""
    ratio = 2 * canvas["dpr"]
    width, height = png_size(data)
    assert width >= 2 * canvas["cssWidth"] and height >= 2 * canvas["cssHeight"], (width, height, canvas)
    assert width >= ratio * canvas["cssWidth"] and (width, height) == (layout["width"], layout["height"])
    # The map drawn at the picture's own resolution, not the screen's stretched.
    assert layout["ratio"] == ratio
    assert layout["map"]["width"] == round(canvas["cssWidth"] * ratio)
    assert layout["map"]["height"] == round(canvas["cssHeight"] * ratio)
    # The map on the page is back at the screen's pixel ratio.
    assert canvas["width"] == round(canvas["cssWidth"] * canvas["dpr"])
    pixels = decode_png(data)
    assert pixels.shape[:2] == (height, width)
    # Bands in order, inside the picture: title, map, legend, sources, footer.
    title, chart, legend = layout["title"], layout["map"], layout["legend"]
    assert title["y"] == 0 and title["y"] + title["height"] <= chart["y"]
    assert chart["y"] + chart["height"] <= legend["y"] and legend["height"] > 0
    assert layout["footer"]["y"] + layout["footer"]["height"] <= height
    # The title band has dark text on a light ground.
    band = luminance(region(pixels, title))
    assert (band < 80).sum() > 100, "no dark text in the title band"
    assert np.median(band) > 200
    # The legend shows every visible type in the ontology's colour, and nothing of a type not shown.
    area = region(pixels, legend)
    found = {t for t in shown if count_colour(area, colours[t]) >= 20}
    assert found == shown and len(found) >= 2, (shown - found, found)
    for t, colour in colours.items():
        if t not in shown and colour not in {colours[s] for s in shown}:
            assert count_colour(area, colour) < 20, f"{t} is in the legend but not on the map"
    # Not blank: the map has many colours and contrast.
    drawn = region(pixels, chart)
    assert luminance(drawn).std() > 10
    assert len(np.unique(drawn.reshape(-1, 3)[::7], axis=0)) > 60
    # The map as shown: brought down to the screen's pixels, it is the picture on the screen.
    # Compared in blocks of 8 screen pixels: labels are drawn a little differently at each resolution.
    screen = luminance(decode_png(layout["screen"])[..., :3])
    step = round(ratio / canvas["dpr"])
    assert drawn.shape[:2] == (screen.shape[0] * step, screen.shape[1] * step)
    h, w = screen.shape[0] // BLOCK, screen.shape[1] // BLOCK
    side = BLOCK * step
    ours = luminance(drawn)[:h * side, :w * side].reshape(h, side, w, side).mean(axis=(1, 3))
    theirs = screen[:h * BLOCK, :w * BLOCK].reshape(h, BLOCK, w, BLOCK).mean(axis=(1, 3))
    assert np.abs(ours - theirs).mean() < 2, "the picture's map is not the map on the screen"
    return pixels


@pytest.mark.parametrize("path", ["/", f"/clusters/{CLUSTER}"])
def test_the_png_is_twice_the_pixel_ratio_with_title_legend_sources_and_date(browser: Any, site: str,
                                                                             path: str) -> None:
    view = api(site, path + ("&" if "?" in path else "?") + "format=json")
    colours = {t["label"]: t["color"] for t in api(site, "/api/ontology")["node_types"]}
    with watched_page(browser, site) as page:
        open_map(page, site + path)
        shown = visible_types(page)
        assert shown == {n["type"] for n in view["graph"]["nodes"]}
        data, layout, canvas = export_png(page)
    assert canvas["dpr"] == 1
    check_picture(data, layout, canvas, colours, shown)
    assert layout["titleText"] == view["title"]
    titles = cited_titles(site, view["graph"]["nodes"])
    assert titles and layout["sourceText"].startswith(text("map_png.sources", "zh") + titles[0])
    if not layout["sourceText"].endswith(("…", "个来源")):
        assert layout["sourceText"] == text("map_png.sources", "zh") + "；".join(titles)
    assert layout["date"] == datetime.date.today().isoformat()


def test_on_a_high_density_screen_the_png_has_twice_its_pixels(browser: Any, site: str) -> None:
    colours = {t["label"]: t["color"] for t in api(site, "/api/ontology")["node_types"]}
    with watched_page(browser, site, viewport={"width": 1100, "height": 700}, device_scale_factor=2) as page:
        open_map(page, f"{site}/clusters/{CLUSTER}")
        shown = visible_types(page)
        data, layout, canvas = export_png(page)
    assert canvas["dpr"] == 2
    width, height = png_size(data)
    assert width >= 4 * canvas["cssWidth"] and height >= 4 * canvas["cssHeight"]
    check_picture(data, layout, canvas, colours, shown)


def test_the_legend_follows_the_filters_and_the_title_the_language(browser: Any, site: str) -> None:
    view = api(site, "/?format=json")
    colours = {t["label"]: t["color"] for t in api(site, "/api/ontology")["node_types"]}
    hidden = "Enterprise"
    with watched_page(browser, site) as page:
        open_map(page, site + "/?lang=en")
        page.click(f"input[data-filter='type'][value='{hidden}']")
        wait_until(page, f"!ecomap.visibleNodeIds().some(id => ecomap.records.get(id).type === '{hidden}')")
        wait_until(page, "!ecomap.refitting")
        still(page)
        shown = visible_types(page)
        assert hidden not in shown
        data, layout, canvas = export_png(page)
    check_picture(data, layout, canvas, colours, shown)
    assert layout["titleText"] == view["title_en"]
    assert layout["sourceText"].startswith(text("map_png.sources", "en"))
    visible = [n for n in view["graph"]["nodes"] if n["type"] != hidden]
    assert cited_titles(site, visible)[0] in layout["sourceText"]


def test_a_standalone_copy_names_its_sources_from_the_titles_it_carries(browser: Any, site: str,
                                                                          tmp_path: Path) -> None:
    view = api(site, f"/clusters/{CLUSTER}?format=json")
    colours = {t["label"]: t["color"] for t in api(site, "/api/ontology")["node_types"]}
    with watched_page(browser, site) as page:
        open_map(page, f"{site}/clusters/{CLUSTER}")
        with page.expect_download() as download:
            page.click("#btn-html")
        target = tmp_path / "cluster.html"
        download.value.save_as(target)
    with watched_page(browser, None, offline=True) as copy:
        open_map(copy, target.as_uri())
        assert copy.evaluate("ecomap.standalone") is True
        shown = visible_types(copy)
        data, layout, canvas = export_png(copy)
    check_picture(data, layout, canvas, colours, shown)
    titles = cited_titles(site, view["graph"]["nodes"])
    assert layout["sourceText"].startswith(text("map_png.sources", "zh") + titles[0]), (layout["sourceText"], titles)
    assert json.dumps(layout["titleText"]) == json.dumps(view["title"])
