"""Progress: plain lines when the output is not a terminal, a bar on one, nothing with -q."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_data import write_run_folder

from stationsim.running import progress as PR

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(?P<label>[^:]+): (?P<done>\d+)/(?P<total>\d+) (?P<unit>\w+)s \((?P<pct>\d+)%")


def lines_of(text: str) -> list[tuple[int, int]]:
    return [(int(m["done"]), int(m["total"])) for m in map(LINE.match, text.splitlines()) if m]


def test_plain_lines_at_start_every_tenth_and_end() -> None:
    out = io.StringIO()
    with PR.Progress(40, "job", "run", enabled=True, stream=out) as p:
        for _ in range(40):
            p.update()
    got = lines_of(out.getvalue())
    assert got[0] == (0, 40) and got[-1] == (40, 40)
    assert [d for d, _ in got] == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    assert "runs/s" in out.getvalue().splitlines()[-1] and "done" in out.getvalue()
    assert "left" in out.getvalue().splitlines()[1]


def test_a_fast_job_in_big_steps_still_has_start_and_end() -> None:
    out = io.StringIO()
    with PR.Progress(3, "tiny", "figure", enabled=True, stream=out) as p:
        p.update(3)
    assert lines_of(out.getvalue()) == [(0, 3), (3, 3)]
    out = io.StringIO()
    with PR.Progress(1000, "chunks", enabled=True, stream=out) as p:
        for _ in range(4):
            p.update(250)  # each chunk crosses 10 % steps: one line per crossing, no repeats
    assert lines_of(out.getvalue()) == [(0, 1000), (250, 1000), (500, 1000), (750, 1000),
                                        (1000, 1000)]


def test_quiet_writes_nothing_and_forced_overrides_the_library() -> None:
    out = io.StringIO()
    with PR.Progress(10, "job", enabled=False, stream=out) as p:
        p.update(10)
    assert out.getvalue() == ""
    with PR.forced(True):
        out = io.StringIO()
        with PR.Progress(2, "job", enabled=False, stream=out) as p:
            p.update(2)
        assert lines_of(out.getvalue()) == [(0, 2), (2, 2)]
    with PR.forced(False):
        assert not PR.resolve(True)
    assert PR.resolve(None) in (True, False)


def test_a_terminal_gets_a_bar() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    with PR.Progress(5, "job", "run", enabled=True, stream=out) as p:
        p.update(5)
    assert "5/5" in out.getvalue() and "|" in out.getvalue()  # tqdm's bar
    assert not lines_of(out.getvalue())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stationsim", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.mark.slow
def test_run_shows_progress_lines_in_a_log_and_none_with_q(tmp_path: Path) -> None:
    scn = str(ROOT / "scenarios" / "css_vs_iss.toml")
    r = _cli("run", scn, "-r", "3", "--steps", "2", "--workers", "1",
             "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    got = lines_of(r.stderr)
    assert got[0] == (0, 3) and got[-1] == (3, 3)
    q = _cli("run", scn, "-r", "3", "--steps", "2", "--workers", "1",
             "--out", str(tmp_path / "b"), "-q")
    assert q.returncode == 0 and q.stderr == "" and q.stdout == ""


@pytest.mark.slow
def test_plot_shows_progress_lines_and_none_with_q(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "run", reps=2)
    r = _cli("plot", str(folder), "--out", str(tmp_path / "p"))
    assert r.returncode == 0, r.stderr
    got = lines_of(r.stderr)
    assert got[0] == (0, 5) and got[-1] == (5, 5)
    assert all(line.startswith("plot: ") for line in r.stderr.splitlines())
    q = _cli("plot", str(folder), "--out", str(tmp_path / "q"), "-q")
    assert q.returncode == 0 and q.stderr == ""
