"""``stationsim explore`` end to end: the real server, driven in headless Chromium by Selenium.

The server is started as a user would (``stationsim explore SCENARIO --port P``)
on a free loopback port; Debian's ``chromium`` and ``chromium-driver`` drive
the page.  The test changes a control (the CSS rule), resets, steps the model
five times, and checks that the member count and the network changed, that no
error is shown (on the page or in the browser's console), that the reasons
table is filled and that the export writes a scenario that loads.  It saves a
screenshot in its temporary folder, and also at ``$STATIONSIM_EXPLORE_SCREENSHOT``
when that is set (how ``docs/explore.png`` is made).

Every wait is bounded; the server's process group and the browser are stopped
in the fixtures' teardown whatever happens.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stationsim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
CSS_VS_ISS = ROOT / "scenarios" / "css_vs_iss.toml"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--window-size=1400,2600")
#: Seconds to wait for the server (the first start also fetches the page's scripts with npm).
SERVER_TIMEOUT = 240
#: Seconds to wait for anything on the page.
PAGE_TIMEOUT = 60

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]
#: A step shows in every view within 0.3 s (from the click) on an idle machine (issue 16;
#: measured 0.07-0.2 s on 2 cores).  The test prints the times and holds the median of the
#: warm steps to this bound, loose enough for a loaded CI machine yet far below the seconds a
#: matplotlib redraw took (``STATIONSIM_STEP_BUDGET=0.3`` asks for the target itself).
STEP_BUDGET = float(os.environ.get("STATIONSIM_STEP_BUDGET", "1.0"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``stationsim explore scenarios/css_vs_iss.toml`` on a free loopback port."""
    folder = tmp_path_factory.mktemp("explore")
    port = _free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "stationsim", "explore", str(CSS_VS_ISS), "--port", str(port),
         "--export-dir", str(folder / "exports")],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n"
                            + (folder / "server.log").read_text())
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no page at {url} after {SERVER_TIMEOUT} s:\n"
                            + (folder / "server.log").read_text())
            time.sleep(0.5)
        yield {"url": url, "folder": folder, "proc": proc}
    finally:
        _stop_group(proc)
        log.close()


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (the CLI and solara), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
    try:  # the solara child, should it outlive the CLI
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through chromedriver, with a fresh profile."""
    paths = _browser_paths()
    if paths is None:
        pytest.skip("no Chromium here: install Debian's chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver); .ci/run does")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="stationsim-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(paths[1]), options=opts)
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        driver.set_script_timeout(PAGE_TIMEOUT)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# ------------------------------------------------------------------ page helpers


def _wait(what: str, cond: Callable[[], Any], timeout: float = PAGE_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = cond()
        except Exception:  # the element is being re-rendered
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.25)


def _open(driver: Any, url: str) -> Any:
    """Load the page and wait until its views show."""
    driver.get(url)
    _wait("the page", lambda: _text(driver, ".stationsim-members").startswith("Members"),
          timeout=PAGE_TIMEOUT * 2)
    return driver


def _text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _errors_shown(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    alerts = driver.find_elements(By.CSS_SELECTOR, ".stationsim-error, .v-alert.text-error, "
                                                   ".v-alert.error, .v-alert.error--text")
    shown = [a.text for a in alerts if a.is_displayed()]
    body = driver.find_element(By.TAG_NAME, "body").text
    shown += [w for w in ("Traceback", "error in step", "Not applied") if w in body]
    return shown


def _console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
            and "favicon" not in e["message"]]


def _select(driver: Any, label: str, value: str) -> None:
    """Pick ``value`` in the select labelled ``label`` (a SolaraViz parameter)."""
    from selenium.webdriver.common.by import By

    field = driver.find_element(
        By.XPATH, f"//label[normalize-space(.)='{label}']"
                  "/ancestor::div[contains(@class,'v-select')][1]")
    field.click()
    item = _wait(f"the menu item {value}", lambda: next(
        e for e in driver.find_elements(
            By.XPATH, f"//div[contains(@class,'v-list-item')][normalize-space(.)='{value}']")
        if e.is_displayed()))
    item.click()
    _wait(f"{label} = {value}", lambda: value in field.text)


def _replace_text(box: Any, text: str) -> None:
    """Type ``text`` over a text field's content and press Enter (the field applies it)."""
    from selenium.webdriver.common.keys import Keys

    box.click()
    box.send_keys(Keys.END, Keys.BACKSPACE * (len(box.get_attribute("value") or "") + 2))
    box.send_keys(text)
    # the field sends what was typed to the server a moment later; Enter applies the value
    # the server holds, so give it that moment (typing at a person's pace needs no pause)
    time.sleep(1.0)
    box.send_keys(Keys.ENTER)
    time.sleep(0.5)


def _button(driver: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//button[normalize-space(.)='{text}']")


def _network_image(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    svg = driver.find_element(By.CSS_SELECTOR, ".stationsim-network-view svg")
    return str(svg.get_attribute("outerHTML"))


# ------------------------------------------------------------------------- test


def test_change_rule_step_five_times_export(server: dict[str, Any], browser: Any,
                                            tmp_path: Path) -> None:
    driver = _open(browser, server["url"])
    assert _errors_shown(driver) == []
    members0 = _text(driver, ".stationsim-members")
    links0 = _text(driver, ".stationsim-network")
    image0 = _wait("the network image", lambda: _network_image(driver))
    assert "CSS 0" in members0  # the CSS opens in 2022 with no founders
    assert "CSS: (no members)" in links0
    # the sliders show their values without being touched (the hosts' 0.80 0.80 0.30 0.60)
    from selenium.webdriver.common.by import By

    shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".v-slider-thumb__label")
             if e.is_displayed()]
    assert shown == ["0.80", "0.80", "0.30", "0.60"], shown

    # change a control (the CSS rule) and apply it with Reset
    _select(driver, "CSS rule", "hub_and_spoke")
    _button(driver, "Reset").click()
    _wait("the new rule applied",
          lambda: "stations.CSS.rule = hub_and_spoke" in _text(driver, ".stationsim-now"))
    assert "CSS: hub_and_spoke" in _text(driver, ".stationsim-now")

    for k in range(1, 6):
        _wait("the Step button", lambda: _button(driver, "Step").is_enabled())
        _button(driver, "Step").click()
        _wait(f"step {k}", lambda: f"step {k} of 9" in _text(driver, ".stationsim-now"))  # noqa: B023
    _wait("the network redrawn", lambda: _network_image(driver) != image0)

    members5 = _text(driver, ".stationsim-members")
    links5 = _text(driver, ".stationsim-network")
    assert members5 != members0, members5
    assert "CSS 0" not in members5
    assert links5 != links0
    assert "CSS: (no members)" not in links5
    reasons = _text(driver, ".stationsim-reasons")
    assert "2026" in _text(driver, ".stationsim-reasons-title")
    assert any(a in reasons for a in ("applied", "admitted", "refused", "exit")), reasons
    assert _errors_shown(driver) == []

    # export, then load what was written
    _button(driver, "Export scenario").click()
    done = _wait("the export", lambda: _text(driver, ".stationsim-exported"))
    path = Path(done.split("Written: ", 1)[1].split(" ")[0])
    assert path.parent == server["folder"] / "exports"
    exported = load_scenario(path)
    assert {s.name: s.rule for s in exported.stations} == {"ISS": "hub_and_spoke",
                                                           "CSS": "hub_and_spoke"}
    assert _errors_shown(driver) == []
    assert _console_errors(driver) == []

    shot = tmp_path / "explore.png"
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    extra = os.environ.get("STATIONSIM_EXPLORE_SCREENSHOT")
    if extra:
        shutil.copyfile(shot, extra)


def test_a_bad_value_is_a_message_on_the_page_not_a_crash(server: dict[str, Any],
                                                           browser: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(browser, server["url"])
    box = driver.find_element(
        By.XPATH, "//label[contains(normalize-space(.),'Seed')]"
                  "/ancestor::div[contains(@class,'v-input')][1]//input")
    _replace_text(box, "-3")
    _button(driver, "Reset").click()
    message = _wait("the validation message", lambda: _text(driver, ".stationsim-error"))
    assert "seed" in message and "greater than or equal to 0" in message
    assert "Traceback" not in driver.find_element(By.TAG_NAME, "body").text
    # the page is still alive: a good value applies again
    _replace_text(box, "11")
    _button(driver, "Reset").click()
    _wait("the message gone", lambda: not driver.find_elements(By.CSS_SELECTOR,
                                                              ".stationsim-error"))
    _wait("seed 11", lambda: "seed 11" in _text(driver, ".stationsim-now"))


def test_the_picker_opens_another_scenario_with_its_own_controls(server: dict[str, Any],
                                                                 browser: Any) -> None:
    from selenium.webdriver.common.by import By

    driver = _open(browser, server["url"])
    # play the default scenario a little, so a stale controller would show (❚❚, no Step)
    _button(driver, "Step").click()
    _wait("step 1", lambda: "step 1 of 9" in _text(driver, ".stationsim-now"))
    driver.find_element(By.LINK_TEXT, "two_blocs_2020s.toml").click()
    _wait("the other scenario", lambda: "two_blocs_2020s" in _text(driver, ".stationsim-now"),
          timeout=PAGE_TIMEOUT * 2)
    assert "step 0 of 21" in _text(driver, ".stationsim-now")
    assert "two_blocs_2020s.toml" in _text(driver, ".stationsim-picker")
    labels = {e.text for e in driver.find_elements(By.CSS_SELECTOR, "label")}
    assert {"US_LED rule", "CN_LED channel", "ISS rule"} <= labels
    assert "CSS rule" not in labels
    _wait("the Step button", lambda: _button(driver, "Step").is_enabled())
    _button(driver, "Step").click()
    _wait("step 1", lambda: "step 1 of 21" in _text(driver, ".stationsim-now"))
    members = _text(driver, ".stationsim-members")
    assert all(s in members for s in ("ISS", "US_LED", "CN_LED")), members
    assert _errors_shown(driver) == []
    assert _console_errors(driver) == []


#: Clicks Step and resolves with the milliseconds until both live figures and the state panel
#: show the new year (their ``data-year``) and the status line the new step, checked on every
#: animation frame.
_TIME_STEP_JS = """
const [want, stepText, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Step');
const shown = () => [...document.querySelectorAll(
    '.stationsim-members-svg, .stationsim-network-svg, .stationsim-state-panel')]
    .map(e => e.getAttribute('data-year'));
const t0 = performance.now();
button.click();
const poll = () => {
  const years = shown();
  const now = document.querySelector('.stationsim-now');
  if (years.length === 3 && years.every(y => y === String(want))
      && now && now.textContent.includes(stepText)) {
    done(performance.now() - t0);
  } else if (performance.now() - t0 > 20000) {
    done(-1);
  } else {
    requestAnimationFrame(poll);
  }
};
requestAnimationFrame(poll);
"""


def test_a_step_shows_in_every_figure_within_the_budget_on_two_blocs(
        server: dict[str, Any], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from stationsim.app import explore

    driver = _open(browser, server["url"] + "?scenario=two_blocs_2020s.toml")
    _wait("two_blocs_2020s", lambda: "two_blocs_2020s" in _text(driver, ".stationsim-now"))
    assert "A changed control applies when you press Reset" in _text(driver, ".stationsim-now")
    # a state chosen: its panel redraws with every step too, within the same budget
    label = next(iter(explore.state_choices(
        explore.ExplorerModel(str(ROOT / "scenarios" / "two_blocs_2020s.toml")))))
    _select(driver, "State", label)
    _wait("the state panel", lambda: driver.find_element(By.CSS_SELECTOR,
                                                         ".stationsim-state-panel"))
    times = []
    for k in range(1, 7):
        _wait("the Step button", lambda: _button(driver, "Step").is_enabled())
        year = 2020 + k - 1
        ms = driver.execute_async_script(_TIME_STEP_JS, year, f"step {k} of 21")
        assert ms >= 0, f"step {k} never showed year {year} in every figure"
        times.append(ms / 1000)
    # the members chart: one panel per station, whole-number ticks, the guest slots
    panels = driver.find_elements(By.CSS_SELECTOR, ".stationsim-members-svg g.panel")
    stations = [p.get_attribute("data-station") for p in panels]
    assert stations == ["ISS", "CLD", "US_LED", "CN_LED"]  # the scenario's order
    us_led = panels[stations.index("US_LED")]
    line = us_led.find_element(By.CSS_SELECTOR, "polyline.members")
    values = [v.split(",") for v in str(line.get_attribute("data-values")).split(";")]
    assert [int(y) for y, _ in values] == list(range(2020, 2026))
    members_now = int(values[-1][1])
    assert f"US_LED {members_now}" in _text(driver, ".stationsim-members")
    assert us_led.find_elements(By.CSS_SELECTOR, "polyline.capacity")
    assert "this run" in _text(driver, ".stationsim-members-view")
    assert "of runs" not in _text(driver, ".stationsim-members-view")
    edges = driver.find_elements(By.CSS_SELECTOR, ".stationsim-network-svg line.edge")
    assert len([e for e in edges if e.get_attribute("data-station") == "US_LED"]) == members_now
    print(f"step to every figure and the state panel (s): {', '.join(f'{t:.3f}' for t in times)}")
    # the first step warms the page up; the ones after are what a user waits for
    warm = sorted(times[1:])
    assert warm[len(warm) // 2] < STEP_BUDGET, times
    assert _console_errors(driver) == []


def test_play_to_the_end_shows_play_not_pause(server: dict[str, Any], browser: Any) -> None:
    driver = _open(browser, server["url"])
    _button(driver, "▶").click()
    _wait("the last step", lambda: "step 9 of 9" in _text(driver, ".stationsim-now"))
    button = _wait("▶ at the end", lambda: _button(driver, "▶"))
    assert not button.is_enabled()  # nothing left to play
    from selenium.webdriver.common.by import By

    assert not driver.find_elements(By.XPATH, "//button[normalize-space(.)='❚❚']")
    _button(driver, "Reset").click()
    _wait("playable again", lambda: _button(driver, "▶").is_enabled())


def test_a_chosen_state_shows_its_attributes_trust_and_last_decision(
        server: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    """Choose a state refused at a station (the same run, replayed here): the panel shows its
    attributes, its trust in each host and the reason of its last decision; a step redraws
    it.  Mesa's "Time: 9.0" box is hidden (the page shows the year)."""
    from selenium.webdriver.common.by import By

    from stationsim.app import explore

    model = explore.ExplorerModel(str(CSS_VS_ISS))  # the page's model: replication 0
    for _ in range(3):
        model.step()
    labels = explore.state_choices(model)
    refused = [(label, iso) for label, iso in labels.items()
               if any(s.last_decision(model.index[iso])[0] == "refused"
                      for s in model.stations)]
    assert refused, "css_vs_iss refuses someone in its first three years"
    label, iso = refused[0]
    want = explore.state_stations(model, iso)

    driver = _open(browser, server["url"])
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Time:" not in body  # Mesa's own step counter is hidden
    assert "Choose a state" in _text(driver, ".stationsim-state")
    for k in range(1, 4):
        _wait("the Step button", lambda: _button(driver, "Step").is_enabled())
        _button(driver, "Step").click()
        _wait(f"step {k}", lambda: f"step {k} of 9" in _text(driver, ".stationsim-now"))  # noqa: B023
    _select(driver, "State", label)
    panel = _wait("the state's panel", lambda: driver.find_element(
        By.CSS_SELECTOR, f'.stationsim-state-panel[data-state="{iso}"]'))
    assert panel.get_attribute("data-year") == "2024"
    text = panel.text
    for name, value in explore.state_attributes(model, iso):
        assert name in text and value in text, (name, value)
    rows = driver.find_elements(By.CSS_SELECTOR, ".stationsim-state-station")
    assert [r.get_attribute("data-station") for r in rows] == list(want["station"])
    for row, (_, r) in zip(rows, want.iterrows(), strict=True):
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        assert cells == [r["station"], r["host"], r["membership"], r["trust_in_host"],
                         r["host_trust"], r["last_decision"], r["why"]], cells
    assert "refused (" in text
    assert "Time:" not in driver.find_element(By.TAG_NAME, "body").text
    shot = tmp_path / "explore_state.png"
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    assert driver.save_screenshot(str(shot))
    extra = os.environ.get("STATIONSIM_EXPLORE_STATE_SCREENSHOT")
    if extra:
        shutil.copyfile(shot, extra)
    # a step redraws the panel for the next year
    _button(driver, "Step").click()
    _wait("the panel of 2025", lambda: driver.find_element(
        By.CSS_SELECTOR, f'.stationsim-state-panel[data-state="{iso}"]')
        .get_attribute("data-year") == "2025")
    assert _errors_shown(driver) == []
    assert _console_errors(driver) == []
