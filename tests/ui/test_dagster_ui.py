"""End to end as an analyst goes: the demo first (`nudge demo`, with its own DAGSTER_HOME), then the UI
(`dg dev`). The browser shows what the command line did — every asset materialised, the arrival dates as
partitions, the evaluated checks with their figures, the headline — and a backfill launched in the UI continues
from it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.definitions import ALL_ASSETS
from pipelines.simulate.constants import CANARY

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
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


@dataclass(frozen=True)
class Served:
    root: Path
    port: int
    env: dict[str, str]
    dates: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def demo_then_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("analyst")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    demo = root / "demo"
    env = {**os.environ, "DAGSTER_HOME": str(home), "VIRTUAL_ENV": str(BIN.parent),
           "NUDGE_EVENTS": str(demo / "events"), "NUDGE_REGISTRY": str(demo / "experiments.yml"),
           "NUDGE_WAREHOUSE": str(demo / "warehouse.duckdb"), "NUDGE_REPORTS": str(root / "reports")}
    subprocess.run([str(BIN / "nudge"), "demo", "--dir", str(demo), "--reports", str(root / "reports"),
                    "--users", "1500", "--days", "3"], cwd=root, env=env, check=True, capture_output=True,
                   timeout=600)
    dates = sorted(p.name[3:] for p in (demo / "events").iterdir())
    port = free_port()
    log_file = (root / "dg-dev.log").open("w")
    proc = subprocess.Popen([str(BIN / "dg"), "dev", "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env,
                            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: responds(f"http://127.0.0.1:{port}/server_info"), 180, "dg dev did not start")
        yield Served(root, port, env, dates)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log_file.close()


@pytest.fixture
def page(demo_then_ui: Served) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI")
        pytest.skip("no chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            tab = browser.new_page(viewport={"width": 1800, "height": 1800})
            tab.set_default_timeout(60_000)
            # a dialog (the first-visit tour, a notice) can open over the page at any moment after it loads:
            # whenever one is up before an action, skip or close it
            tab.add_locator_handler(tab.locator(".bp5-overlay-backdrop"), lambda _: close_dialog(tab))
            try:
                yield tab
            except BaseException:
                ARTIFACTS.mkdir(exist_ok=True)
                tab.screenshot(path=str(ARTIFACTS / "dagster-ui-failure.png"), full_page=True)
                raise
        finally:
            browser.close()


def close_dialog(page) -> None:  # type: ignore[no-untyped-def]
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()
    else:
        page.keyboard.press("Escape")


def open_page(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)


def test_the_catalogue_shows_what_the_demo_did(demo_then_ui: Served, page) -> None:  # type: ignore[no-untyped-def]
    served = demo_then_ui
    ARTIFACTS.mkdir(exist_ok=True)

    # every asset materialised; the partitioned ones in all their arrival dates
    open_page(page, f"{served.url}/assets")
    rows = page.locator('[class*="VirtualizedAssetRow_rowGrid"]')
    partitioned = {key.to_user_string() for asset in ALL_ASSETS if asset.partitions_def for key in asset.keys}
    for asset in ALL_ASSETS:
        for key in asset.keys:
            name = key.to_user_string()
            row = rows.filter(has=page.get_by_text(name, exact=True))
            expected = f"{len(served.dates)} partitions" if name in partitioned else "Materialized"
            row.get_by_text(expected).filter(visible=True).first.wait_for()
            assert "Never materialized" not in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "dagster-asset-catalog.png"), full_page=True)

    # the arrival dates as partitions, all materialised
    open_page(page, f"{served.url}/assets/raw_events?view=partitions")
    page.get_by_text(f"Materialized ({len(served.dates)})").wait_for()
    page.get_by_text("Missing (0)").wait_for()
    for day in (served.dates[0], served.dates[-1]):
        page.get_by_text(day, exact=True).filter(visible=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dagster-arrival-dates.png"), full_page=True)

    # every check evaluated, with its figures
    for asset in ALL_ASSETS:
        if not asset.check_keys:
            continue
        name = next(iter(asset.check_keys)).asset_key.to_user_string()
        open_page(page, f"{served.url}/assets/{name}?view=checks")
        for check in asset.check_keys:
            page.get_by_text(check.name, exact=True).filter(visible=True).first.wait_for()
        page.get_by_text("Evaluation result").wait_for()
        body = page.inner_text("body")
        for check in asset.check_keys:
            # the list of checks: each name (the full one after a truncated one) and its latest result
            assert re.search(rf"\n{re.escape(check.name)}\n(Succeeded|Failed|Warning)\n", body), check.name
    open_page(page, f"{served.url}/assets/events?view=checks")
    page.get_by_text("quarantine_share_within_limit", exact=True).filter(visible=True).first.click()
    for figure in ("worst_share", "overall_share", "limit"):
        page.get_by_text(figure, exact=True).filter(visible=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dagster-quarantine-check.png"), full_page=True)

    # the headline per arm, as a table in the latest materialisation
    open_page(page, f"{served.url}/assets/experiment_results")
    page.get_by_text("headline", exact=True).filter(visible=True).first.wait_for()
    for arm in ("prompt_empathy", "prompt_neutral"):
        page.get_by_role("cell", name=arm, exact=True).filter(visible=True).first.wait_for()
    page.get_by_text("diff (95 % CI)").filter(visible=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "dagster-headline.png"), full_page=True)


def run_to_completion(client, job: str, tags: dict[str, str] | None = None) -> str:  # type: ignore[no-untyped-def]
    from dagster import DagsterRunStatus

    run_id = client.submit_job_execution(job, tags=tags or {})
    done = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
    wait_until(lambda: client.get_run_status(run_id) in done, 300, f"{job} did not finish")
    return str(run_id) if client.get_run_status(run_id) == DagsterRunStatus.SUCCESS else "failed"


def test_a_backfill_launched_in_the_ui_continues_from_the_demo(demo_then_ui: Served) -> None:
    from dagster import DagsterInstance
    from dagster_graphql import DagsterGraphQLClient

    served = demo_then_ui
    client = DagsterGraphQLClient("127.0.0.1", port_number=served.port)
    tags = {"dagster/asset_partition_range_start": served.dates[0],
            "dagster/asset_partition_range_end": served.dates[-1]}
    ingest = run_to_completion(client, "ingest_arrival_dates", tags)
    assert ingest != "failed"
    assert run_to_completion(client, "analyse_experiments") != "failed"

    os.environ["DAGSTER_HOME"] = served.env["DAGSTER_HOME"]
    try:
        with DagsterInstance.get() as instance:
            messages = [e.user_message for e in instance.all_logs(ingest)]
    finally:
        del os.environ["DAGSTER_HOME"]
    # the run launched in the UI logs its progress, and reads nothing the demo already loaded
    assert any(m.startswith(f"raw_events: loading {len(served.dates)} arrival dates") for m in messages)
    assert f"raw_events: {len(served.dates)} arrival dates unchanged since their last load, not read again" \
        in messages
    stored = [served.root / "dagster_home", served.root / "reports", served.root / "dg-dev.log",
              *(served.root / "demo").glob("warehouse.duckdb*")]
    files = [f for s in stored for f in ([s] if s.is_file() else s.rglob("*")) if f.is_file()]
    assert any(f.suffix == ".db" for f in files), "Dagster's run storage must be among the files searched"
    leaked = [f for f in files if CANARY.encode() in f.read_bytes()]
    assert leaked == [], "raw text reached the warehouse, the reports or Dagster's run storage and logs"
