"""End to end through the UI's own server: `dagster dev` headless, a partition-range backfill and the
analysis launched through the GraphQL client, tables checked, the asset graph screenshotted, server stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.logbuilder import Log

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CANARY = "CANARY-UI-RAW-TEXT-77e1"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise TimeoutError(what)


def responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def three_day_log() -> Log:
    log = Log()
    for i in range(40):
        arm = "control" if i % 2 else "prompt_empathy"
        log.assign(f"u{i}", arm, minutes=i)
        for day in range(3):
            draft = f"d{i}-{day}"
            minute = day * 1440 + i
            leak = {"text": CANARY} if i == day == 0 else {}  # a misconfigured client sends raw text
            log.draft(f"u{i}", draft, minute, 0.9, "aa", **leak)
            log.trigger(f"u{i}", draft, minute, arm)
            if (i + day) % 3 == 0:
                log.post(f"u{i}", draft, minute + 1, 0.3, "bb", f"c{draft}")
    return log


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    events_root, registry = three_day_log().write(tmp_path)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "NUDGE_EVENTS": str(events_root),
           "NUDGE_REGISTRY": str(registry), "NUDGE_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "NUDGE_REPORTS": str(tmp_path / "reports")}
    port = free_port()
    dagster = str(Path(sys.executable).parent / "dagster")
    log_file = (tmp_path / "dagster-dev.log").open("w")
    proc = subprocess.Popen([dagster, "dev", "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env,
                            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: responds(f"http://127.0.0.1:{port}/server_info"), 120, "dagster dev did not start")
        yield port, env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log_file.close()


def run_to_completion(client, job: str, tags: dict[str, str] | None = None) -> str:  # type: ignore[no-untyped-def]
    from dagster import DagsterRunStatus

    run_id = client.submit_job_execution(job, tags=tags or {})
    done = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
    wait_until(lambda: client.get_run_status(run_id) in done, 240, f"{job} did not finish")
    return str(client.get_run_status(run_id).value)


def test_ui_backfills_a_date_range_and_shows_the_graph(dagster_dev: tuple[int, dict[str, str]],
                                                       tmp_path: Path) -> None:
    from dagster import DagsterInstance
    from dagster_graphql import DagsterGraphQLClient

    port, env = dagster_dev
    dates = sorted(p.name[3:] for p in (tmp_path / "events").iterdir())
    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    try:
        with DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("arrival_date", dates)
    finally:
        del os.environ["DAGSTER_HOME"]
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    range_tags = {"dagster/asset_partition_range_start": dates[0], "dagster/asset_partition_range_end": dates[-1]}
    assert run_to_completion(client, "ingest_arrival_dates", range_tags) == "SUCCESS"
    assert run_to_completion(client, "analyse_experiments") == "SUCCESS"

    con = duckdb.connect(env["NUDGE_WAREHOUSE"], read_only=True)
    assert con.execute("SELECT count(DISTINCT arrival_date) FROM raw_events").fetchall() == [(len(dates),)]
    assert con.execute("SELECT count(*) FROM triggered_attempts").fetchall() == [(120,)]
    assert con.execute("SELECT count(*) FROM experiment_results WHERE segment_dim = 'all'").fetchall()[0][0] > 0
    con.close()
    assert (tmp_path / "reports" / "exp1" / "index.html").exists()
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and "events" not in p.parts
              and CANARY.encode() in p.read_bytes()]
    assert leaked == [], "raw text reached the warehouse, the reports or Dagster's run storage and logs"

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI")
        return
    screenshot_asset_graph(port, ARTIFACTS / "dagster-asset-graph.png")


def screenshot_asset_graph(port: int, shot: Path) -> None:
    """Open the UI in headless Chromium, dismiss the first-visit dialog, show every asset, keep a screenshot."""
    from playwright.sync_api import sync_playwright

    shot.parent.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/asset-groups", wait_until="networkidle")
            skip = page.get_by_role("button", name="Skip")
            if skip.count():
                skip.first.click()
            for group in ("raw", "experiment", "metrics", "results", "reports"):
                page.get_by_text(group, exact=True).first.wait_for(timeout=30_000)
            page.wait_for_timeout(2_000)
            page.screenshot(path=str(shot))
            page.goto(f"http://127.0.0.1:{port}/assets", wait_until="networkidle")
            page.get_by_text("experiment_results").first.wait_for(timeout=30_000)
            page.screenshot(path=str(shot.with_name("dagster-asset-catalog.png")))
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
