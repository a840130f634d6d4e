"""The demo page in a real browser: the server on a free 127.0.0.1 port, driven with
Playwright in the system's headless Chromium, as a person would use it."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
PHOTO = 96  # side of the uploaded photo
CLASSICAL = ("biharmonic", "fsr", "navier_stokes", "shiftmap", "telea")
# the message's text, without the progress timer Gradio shows while a handler runs
MESSAGE = "(document.querySelector('#message [data-testid=markdown]')?.innerText ?? '')"
MAX_SIDE = 256

pytest.importorskip("gradio", reason="pip install -e '.[demo]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if not CHROMIUM.exists():
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listing(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def server(tmp_path, results, demo_config, resources_link):
    """`inpaint demo` in a subprocess; yields (url, the folders it must not write to)."""
    port = free_port()
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp), "HOME": str(home),
           "OMP_NUM_THREADS": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    log = (tmp_path / "server.log").open("w")
    before = listing(results)
    proc = subprocess.Popen(
        [sys.executable, "-m", "inpaint", "demo", "--models", str(results / "models"),
         "--data", str(results / "data"), "--config", str(demo_config), "--port", str(port),
         "--max-side", str(MAX_SIDE), "--device", "cpu"],
        cwd=resources_link, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 240
    while "Running on local URL" not in (tmp_path / "server.log").read_text():
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        assert time.time() < deadline, "server did not start"
        time.sleep(0.5)
    yield url, {"tmp": tmp, "home": home, "cwd": resources_link}, proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(90)  # Gradio's shutdown is slow on a loaded machine
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the demo server did not stop within 90 s of SIGINT")
    log.close()
    # nothing written outside the temporary folder, and that folder is gone
    assert listing(results) == before
    assert [p.name for p in resources_link.iterdir()] in ([], ["resources"])
    assert list(tmp.iterdir()) == [], list(tmp.iterdir())
    assert not any(p.is_file() for p in home.rglob("*")), list(home.rglob("*"))


def browser_page(p, shots: Path):
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"])
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    return browser, page


def current_message(page) -> str:
    return page.evaluate(MESSAGE)


def wait_message(page, *words: str, old: str | None = None, timeout: float = 300_000) -> str:
    """#message once it holds one of ``words`` (and, given ``old``, differs from it)."""
    cond = " || ".join(f"m.includes({w!r})" for w in words)
    page.wait_for_function(
        f"(old) => {{ const m = {MESSAGE}; return m !== old && ({cond}); }}", arg=old,
        timeout=timeout)
    return current_message(page)


def upload(page, path: Path) -> str:
    old = current_message(page)
    page.locator("#upload input[type=file]").set_input_files(str(path))
    return wait_message(page, "Loaded", "Error", old=old)


def run(page) -> str:
    old = current_message(page)
    page.click("#run")
    return wait_message(page, "Completed", "Error", old=old)


def paint_strokes(page) -> None:
    """Three strokes across the middle of the canvas with the editor's brush."""
    box = page.locator("#canvas canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dy in (-25, 0, 25):  # few events: each one re-renders the canvas (slow, software GL)
        page.mouse.move(cx - 50, cy + dy)
        page.mouse.down()
        for k in range(1, 5):
            page.mouse.move(cx - 50 + 25 * k, cy + dy + (k % 2) * 6)
        page.mouse.up()


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_paint_complete_and_download_in_chromium(server, tmp_path, real_photo):
    url, _, _ = server
    image = real_photo(PHOTO)
    path = tmp_path / "astronaut.png"
    Image.fromarray(image).save(path)
    with sync_api.sync_playwright() as p:
        browser, page = browser_page(p, tmp_path)
        page.goto(url)
        page.wait_for_selector("#run")
        intro = page.locator("#intro").inner_text()
        assert "toy/context_encoder" in intro
        assert "model toy/glcic does not load" in intro  # the broken folder, named on the page
        assert "Loaded upload astronaut.png" in upload(page, path)
        page.locator("#canvas canvas").first.wait_for()
        time.sleep(0.5)
        paint_strokes(page)
        page.screenshot(path=str(tmp_path / "painted.png"))
        message = run(page)
        assert "Completed upload astronaut.png" in message, message
        page.wait_for_function("document.querySelectorAll('#grid img').length >= 3")
        page.screenshot(path=str(tmp_path / "results.png"), full_page=True)
        if os.environ.get("DEMO_SCREENSHOT"):
            page.screenshot(path=os.environ["DEMO_SCREENSHOT"], full_page=True)
        tiles = page.evaluate("Array.from(document.querySelectorAll('#grid .gallery-item'))"
                              ".map(e => [e.querySelector('img').src, e.innerText])")
        decoded = {caption.split(" · ")[0].strip(): decode(page.request.get(src).body())
                   for src, caption in tiles}
        captions = [caption for _, caption in tiles]
        labels = ["real", "corrupted", *CLASSICAL, "toy/context_encoder"]
        assert list(decoded) == labels, captions
        for caption in captions[2:]:
            for part in (" s", "PSNR", "SSIM"):
                assert part in caption, caption
        seen = page.evaluate("Array.from(document.querySelectorAll('#model-inputs img'))"
                             ".map(i => [i.naturalWidth, i.naturalHeight])")
        assert seen == [[32, 32]]  # the model's input, resized, is shown
        assert "32x32 input (resized from 96x96)" in page.locator("#model-inputs").inner_text()
        table = page.locator("#scores").inner_text()
        for name in labels[2:]:
            assert name in table
        with page.expect_download() as info:
            page.click("#download")
        archive = zipfile.ZipFile(info.value.path())
        browser.close()

    assert np.array_equal(decoded["real"], image)
    names = set(archive.namelist())
    assert names == {"mask.png", "real.png", "corrupted.png", "toy_context_encoder.png",
                     *(f"{m}.png" for m in CLASSICAL)}
    mask = np.asarray(Image.open(io.BytesIO(archive.read("mask.png"))))
    assert mask.shape == (PHOTO, PHOTO)
    assert set(np.unique(mask)) == {0, 255}
    known = mask == 255
    hole = ~known
    assert 0.03 < hole.mean() < 0.6, hole.mean()  # the strokes, not an empty or full mask
    assert hole[PHOTO // 2 - 8:PHOTO // 2 + 8, PHOTO // 2 - 8:PHOTO // 2 + 8].mean() > 0.5
    for label in labels[2:]:
        tile = decoded[label]
        assert tile.shape == image.shape, label  # the image's size
        assert np.array_equal(tile[known], image[known]), label  # known pixels kept
        assert not np.array_equal(tile[hole], decoded["corrupted"][hole]), label  # filled
        in_zip = decode(archive.read(label.replace("/", "_") + ".png"))
        assert np.array_equal(in_zip, tile), label


def test_bad_inputs_get_a_message_and_the_server_keeps_serving(server, tmp_path, real_photo):
    url, _, proc = server
    not_image = tmp_path / "notes.png"
    not_image.write_text("this is text, not a PNG")
    too_big = tmp_path / "big.png"
    Image.fromarray(real_photo(MAX_SIDE + 8)).save(too_big)
    fine = tmp_path / "coffee.png"
    Image.fromarray(real_photo(64, "coffee")).save(fine)
    with sync_api.sync_playwright() as p:
        browser, page = browser_page(p, tmp_path)
        page.goto(url)
        page.wait_for_selector("#run")

        # nothing loaded yet
        assert "upload a photo or pick a test image first" in run(page)

        assert "notes.png is not an image" in upload(page, not_image)
        page.locator("#upload button[aria-label='Clear']").first.click()
        message = upload(page, too_big)
        assert f"{MAX_SIDE + 8}x{MAX_SIDE + 8} pixels; the limit is {MAX_SIDE}" in message
        page.locator("#upload button[aria-label='Clear']").first.click()

        assert "Loaded upload coffee.png" in upload(page, fine)
        assert "the mask is empty" in run(page)  # nothing painted

        page.locator("#hole label", has_text="everything").click()
        assert "the mask covers the whole image" in run(page)
        page.screenshot(path=str(tmp_path / "bad_inputs.png"), full_page=True)

        # no path from the browser reaches the file system
        for path in ("/etc/passwd", str(ROOT / "config.yaml")):
            response = page.request.get(f"{url}/gradio_api/file={path}")
            assert response.status in (403, 404), (path, response.status)

        # a test image, picked by name, with a configured mask kind and a seed: still serving
        page.locator("#hole label", has_text="center").click()
        page.locator("#test-image input").click()
        page.keyboard.type("toy / test")
        old = current_message(page)
        page.keyboard.press("Enter")
        assert "Loaded test image" in wait_message(page, "Loaded", "Error", old=old)
        message = run(page)
        assert "Completed test image" in message
        assert "hole: 256 pixels (25.0%)" in message
        assert page.locator("#grid .gallery-item").count() == 2 + len(CLASSICAL) + 1
        browser.close()
    assert proc.poll() is None
