"""The web page in a real headless browser (Debian's chromium and chromium-driver, driven by
selenium): type a question, submit, see the answer that htmx swaps in, open the why view."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("torch")
pytest.importorskip("fastapi")
webdriver = pytest.importorskip("selenium.webdriver")

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (make install-test installs them)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, docs_dir):
    index, port = tmp_path / "idx", _free_port()
    subprocess.run([sys.executable, "-m", "wenda", "index", str(docs_dir), "--index", str(index)], check=True)
    cmd = [sys.executable, "-m", "wenda", "serve", "--index", str(index), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # the reader loads before the port opens
        try:
            urllib.request.urlopen(f"{url}/v1/health", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"wenda serve exited: {proc.stderr.read()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_type_a_question_and_see_the_answer(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server)
    box = browser.find_element(By.ID, "q")
    box.send_keys("Which river flows through Paris?")
    browser.find_element(By.ID, "ask").click()
    wait = WebDriverWait(browser, 30)
    answer = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".answer .text")))
    assert "Seine" in answer.text
    assert browser.current_url.rstrip("/") == server  # swapped in by htmx, not a page load
    assert "Seine" in browser.find_element(By.CSS_SELECTOR, ".answer mark").text
    browser.find_element(By.CSS_SELECTOR, ".whybtn").click()
    shaded = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".why span[title]")))
    assert shaded.get_attribute("title").startswith("start")
