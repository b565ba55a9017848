"""Notebook 06 served by Voilà and played in a real browser (Debian's chromium driven by Playwright).

``make test`` installs chromium with apt-get when it is missing, so this runs for real in CI. The page is
the same one ``make play`` serves; the screenshot it saves is the one the README shows.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from wordle_helpers.course import voila_command

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "figures" / "board.png"
SERVER_LOG = ROOT / "outputs" / "logs" / "voila-test.log"
GREEN, YELLOW, GREY = "rgb(106, 170, 100)", "rgb(201, 180, 88)", "rgb(120, 124, 126)"


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    assert found, "Debian's chromium is needed for this test: `make test` installs it (apt-get install chromium)"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_board():
    """Voilà serving notebook 06 on 127.0.0.1 (smoke profile), stopped after the tests."""
    port = _free_port()
    env = {**os.environ, "WORDLE_PROFILE": "smoke", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    out = open(SERVER_LOG, "w")
    server = subprocess.Popen(  # the command `make play` runs
        voila_command(port) + ["--show_tracebacks=True"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, f"voila exited early; see {SERVER_LOG}"
                assert time.monotonic() < deadline, "voila did not start within 60 s"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        out.close()


def _tile_row(page, row: int) -> list[tuple[str, str]]:
    tiles = page.locator(".wordle-board").first.locator(".wordle-grid").first.locator(".wordle-tile")
    return [
        (tiles.nth(row * 5 + i).get_attribute("data-state"),
         tiles.nth(row * 5 + i).evaluate("el => getComputedStyle(el).backgroundColor"))
        for i in range(5)
    ]


def test_board_plays_in_a_real_browser(served_board: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(served_board, timeout=120_000)
            board = page.locator(".wordle-board").first
            board.locator(".wordle-tile").first.wait_for(timeout=120_000)
            assert board.locator(".wordle-tile").count() == 30

            # A friend types a hidden secret, so the colours can be checked.
            board.locator("select").first.select_option(label="typed by a friend (hidden)")
            board.locator("input[type=password]").fill("frost")
            board.get_by_role("button", name="New game").click()
            page.wait_for_function(  # the board clears the hidden box once the game has started
                "() => document.querySelector('.wordle-board input[type=password]').value === ''", timeout=30_000)
            entry = board.get_by_placeholder("type a 5-letter word, then Enter")

            entry.fill("arose")
            entry.press("Enter")
            board.locator(".wordle-grid").first.locator(".wordle-tile[data-state=correct]").first.wait_for(timeout=30_000)
            assert _tile_row(page, 0) == [("absent", GREY), ("correct", GREEN), ("correct", GREEN),
                                          ("correct", GREEN), ("absent", GREY)]
            key_s = board.get_by_role("button", name="S", exact=True)
            assert key_s.evaluate("el => getComputedStyle(el).backgroundColor") == GREEN

            entry.fill("zzzzz")
            entry.press("Enter")
            message = board.locator(".wordle-message[data-kind=error]")
            message.wait_for(timeout=30_000)
            assert "not in the allowed word list" in message.text_content()
            assert [state for state, _ in _tile_row(page, 1)] == ["empty"] * 5

            entry.fill("stink")
            board.get_by_role("button", name="Guess", exact=True).click()
            page.wait_for_function(
                "() => document.querySelector('.wordle-board .wordle-grid')"
                ".querySelectorAll('.wordle-tile')[5].dataset.state !== 'empty'", timeout=30_000)
            assert _tile_row(page, 1)[:2] == [("present", YELLOW), ("present", YELLOW)]

            # The board's kernel has started by now; where pyzmq can encrypt its traffic, it does, so the
            # server's log has no plain-TCP warning from ipykernel.
            import zmq
            if zmq.has("curve"):
                assert "without encryption" not in SERVER_LOG.read_text()

            SCREENSHOT.parent.mkdir(exist_ok=True)
            board.screenshot(path=str(SCREENSHOT))
            assert SCREENSHOT.stat().st_size > 10_000
        finally:
            browser.close()
