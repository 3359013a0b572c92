"""Every object the company has: discovery writes a config that loads them all, and one object's failure
(permission, module not subscribed) does not sink the others."""

from __future__ import annotations

import sys

from dagster import AssetKey, DagsterInstance

from intacct_dagster.cli import main as cli
from intacct_dagster.factory import build_intacct_defs
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster.intacct.settings import SettingsReader
from intacct_dagster_tests.compare import check_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORBIDDEN = "company-config/employee-rate"
UNSUBSCRIBED = "time/timesheet-rule"


def raw_materialized(result) -> set[str]:
    """Raw tables materialized (`intacct/<table>`; the finance models live under intacct/staging|finance)."""
    keys = [e.materialization.asset_key.path for e in result.get_asset_materialization_events()]
    return {k[1] for k in keys if len(k) == 2 and k[0] == "intacct"}


def _materialize(tables=None):
    defs = build_intacct_defs()
    job = defs.resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.ephemeral()
    selection = [AssetKey(["intacct", t]) for t in tables] if tables else None
    return job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False), instance


def test_discover_lists_every_object_and_writes_a_config_that_loads_them_all(sandbox, point_at, project_env,
                                                                           tmp_path, capsys):
    db = point_at(sandbox)
    project_env.setenv("DLT_PROJECT_DIR", str(tmp_path))
    config = tmp_path / ".dlt" / "config.toml"
    config.parent.mkdir()
    config.write_text('# my settings\n[sources.intacct.extra_objects]\nmy_budgets = "general-ledger/budget"\n')

    assert cli(["discover", "--counts"]) == 0
    listing = capsys.readouterr().out
    for path in sandbox.object_paths():
        assert path in listing, path
    assert "cannot read: You do not have permission" in listing
    assert "not subscribed" in listing

    assert cli(["discover", "--all"]) == 0
    out = capsys.readouterr().out
    written = tomllib.loads(config.read_text())["sources"]["intacct"]["extra_objects"]
    assert written["my_budgets"] == "general-ledger/budget"  # the hand-written entry is kept as it was
    assert "general-ledger/budget" not in [v for k, v in written.items() if k != "my_budgets"]
    assert FORBIDDEN not in written.values() and UNSUBSCRIBED not in written.values()
    assert "# my settings" in config.read_text()
    loaded = {o.path: o.name for o in resolve_objects(None, SettingsReader().get("extra_objects"))}
    assert set(sandbox.readable_paths()) <= set(loaded), set(sandbox.readable_paths()) - set(loaded)
    assert "Added to" in out

    assert cli(["discover", "--all"]) == 0  # safe to re-run: nothing new, nothing removed
    assert "Nothing to add" in capsys.readouterr().out
    assert tomllib.loads(config.read_text())["sources"]["intacct"]["extra_objects"] == written

    result, _ = _materialize()
    assert result.success
    assert raw_materialized(result) == set(loaded.values())
    for path, table in loaded.items():
        assert not check_table(sandbox, db, "intacct", table, path), table


def test_a_forbidden_object_fails_alone_with_intaccts_message(sandbox, point_at, project_env):
    db = point_at(sandbox)
    project_env.setenv("INTACCT_EXTRA_OBJECTS",
                       f'{{"employee_rates": "{FORBIDDEN}", "timesheet_rules": "{UNSUBSCRIBED}"}}')
    project_env.setenv("INTACCT_OBJECTS", "vendors,gl_accounts,journal_entry_lines,employee_rates,timesheet_rules")
    result, instance = _materialize()
    assert not result.success
    assert raw_materialized(result) == {"vendors", "gl_accounts", "journal_entry_lines"}
    for table, path in (("vendors", "accounts-payable/vendor"), ("gl_accounts", "general-ledger/account"),
                        ("journal_entry_lines", "general-ledger/journal-entry-line")):
        assert not check_table(sandbox, db, "intacct", table, path)
    observed = {}
    for rec in instance.all_logs(result.run_id):
        ev = rec.dagster_event
        if ev is not None and ev.event_type_value == "ASSET_OBSERVATION":
            obs = ev.event_specific_data.asset_observation
            observed[obs.asset_key.path[-1]] = obs.metadata["intacct/error"].value
    assert "You do not have permission for API operation READ" in observed["employee_rates"]
    assert "not subscribed" in observed["timesheet_rules"]
    failure = next(e.step_failure_data for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    summary = failure.user_failure_data.description
    assert "2 of 5 Intacct table(s) failed" in summary and "employee_rates" in summary and FORBIDDEN in summary
    assert failure.user_failure_data is not None
