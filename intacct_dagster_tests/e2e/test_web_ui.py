"""The web UI in a real browser: `dagster dev` against the sandbox, headless Debian Chromium via Playwright,
catalog -> lineage of the `intacct` group -> "Materialize all" -> the run succeeds -> screenshot.

Playwright never downloads a browser here: it drives /usr/bin/chromium (scripts/system-deps.sh installs it).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from intacct_dagster_tests.e2e._dagster import DagsterDev, sandbox_env
from intacct_dagster_tests.e2e._harness import duckdb_query, wait_until
from intacct_dagster_tests.e2e._pg import SYSTEM_DEPS_HINT

pytestmark = pytest.mark.timeout(300)

CHROMIUM = os.environ.get("INTACCT_E2E_CHROMIUM", "/usr/bin/chromium")
GROUP_LINEAGE = 'asset-groups~group%3A"intacct"'
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail(f"Chromium not found at {CHROMIUM}: {SYSTEM_DEPS_HINT}", pytrace=False)
    return path


def _dismiss_modals(page) -> None:
    """The first-visit "Join the Dagster community" dialog covers the page; skip it if it is there."""
    skip = page.get_by_role("button", name="Skip")
    try:
        if skip.is_visible(timeout=1500):
            skip.click()
    except Exception:  # noqa: BLE001 - no dialog
        pass


def test_materialize_all_from_the_browser(sandbox, clean_env, tmp_path, artifacts_dir):
    from playwright.sync_api import expect, sync_playwright

    chromium = _chromium()
    db = tmp_path / "ui.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTACCT_", "DESTINATION__"))}
    env.update(sandbox_env(sandbox))
    env.update({"INTACCT_DUCKDB_PATH": str(db), "INTACCT_DATASET": "intacct"})
    dev = DagsterDev(env, tmp_path / "dagster_home")
    dev.start(timeout=180)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            # the first-visit "Join the Dagster community" dialog can pop up over any page: skip it whenever
            # it blocks an action
            page.add_locator_handler(page.get_by_text("Join the Dagster community"),
                                     lambda: page.get_by_role("button", name="Skip").click())

            expect.set_options(timeout=60_000)

            # asset catalog: Intacct assets (keys intacct/<table>) are listed in group `intacct`
            page.goto(f"{dev.url}/assets")
            _dismiss_modals(page)
            expect(page.locator('a[href^="/assets/intacct/"]').first).to_be_visible()
            expect(page.locator("a[href*='group%3A\"intacct\"']").first).to_be_visible()  # group column -> lineage
            assert page.locator('a[href^="/assets/intacct/"]').count() >= 5

            # lineage of the intacct group (where the catalog's group links lead)
            page.goto(f"{dev.url}/{GROUP_LINEAGE}")
            _dismiss_modals(page)
            expect(page.get_by_text("intacct", exact=True).first).to_be_visible()
            expect(page.get_by_text("journal_entry_lines").first).to_be_visible()
            button = page.get_by_role("button", name="Materialize all")
            expect(button).to_be_enabled()
            before = {r["runId"] for r in dev.runs()}
            button.click()

            # a run is launched from the UI ...
            run = wait_until(lambda: next((r for r in dev.runs() if r["runId"] not in before), None), 60,
                             interval=0.5, what="the UI to launch a run")
            run_id = run["runId"]

            # ... and succeeds (GraphQL on the same server)
            def finished():
                status = next(r["status"] for r in dev.runs() if r["runId"] == run_id)
                return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None

            status = wait_until(finished, 180, interval=1, what=f"run {run_id} to finish")
            if status != "SUCCESS":
                page.goto(f"{dev.url}/runs/{run_id}")
                page.wait_for_timeout(3000)
                page.screenshot(path=str(artifacts_dir / "ui-failed-run.png"), full_page=True)
            assert status == "SUCCESS", f"run {run_id} ended {status}:\n{dev.out.text[-5000:] if dev.out else ''}"

            # the run page shows it succeeded, and the lineage shows materialized assets
            page.goto(f"{dev.url}/runs/{run_id}")
            _dismiss_modals(page)
            expect(page.get_by_text("Success").first).to_be_visible()
            expect(page.get_by_text("RUN_SUCCESS").first).to_be_visible()
            page.screenshot(path=str(artifacts_dir / "ui-run.png"))
            page.goto(f"{dev.url}/{GROUP_LINEAGE}")
            _dismiss_modals(page)
            expect(page.get_by_text("journal_entry_lines").first).to_be_visible()
            expect(page.get_by_text("Materialized").first).to_be_visible()
            time.sleep(1)  # let the graph finish its layout animation
            page.screenshot(path=str(artifacts_dir / "ui.png"))
            browser.close()
    finally:
        dev.stop()

    n = duckdb_query(db, 'select count(*) from "intacct"."journal_entry_lines"')[0][0]
    assert n == len(sandbox.rows("general-ledger/journal-entry-line"))
