"""The code location: asset shape, checks, jobs, and loading with no credentials and no network."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from dagster import AssetKey

from intacct_dagster.intacct.catalog import DEFAULT_OBJECT_NAMES
from intacct_dagster_tests.dagster._helpers import BIN, REPO, build_defs, clean_os_env, intacct_keys


def test_one_root_asset_per_intacct_object(project_env):
    defs = build_defs()
    graph = defs.resolve_asset_graph()
    keys = set(intacct_keys(defs))
    assert keys == {AssetKey(["intacct", t]) for t in DEFAULT_OBJECT_NAMES}
    assert keys <= graph.get_all_asset_keys()
    # the Intacct tables are the only roots: no phantom source asset upstream of them, and whatever else the
    # definitions hold (the finance statements) is built from them
    roots = {k for k in graph.get_all_asset_keys() if not graph.get(k).parent_keys}
    assert roots == keys, roots ^ keys
    for key in keys:
        node = graph.get(key)
        assert key.path[0] == "intacct" and len(key.path) == 2
        assert not node.parent_keys, f"{key} has upstream deps {node.parent_keys} (phantom source asset?)"
        assert node.group_name == "intacct"
        assert {"intacct", "dlt", "duckdb"} <= set(node.kinds)
        assert node.owners and node.description and "Sage Intacct" in node.description
        assert node.freshness_policy is not None
        assert node.pools == {"intacct"}


def test_every_table_has_key_check_and_lines_have_balance_check(project_env):
    graph = build_defs().resolve_asset_graph()
    check_keys = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    for table in DEFAULT_OBJECT_NAMES:
        assert (table, "key_unique_not_null") in check_keys
    assert ("journal_entry_lines", "journal_entries_balance") in check_keys


def test_job_retries_transient_failures(project_env):
    from dagster._core.definitions.dependency import NodeHandle

    from intacct_dagster.config import ASSETS_OP_NAME

    job = build_defs().resolve_job_def("intacct_job")
    policy = job.get_retry_policy_for_handle(NodeHandle(ASSETS_OP_NAME, None))
    assert policy is not None and policy.max_retries >= 1 and policy.backoff is not None


def test_resources_hold_a_settings_prefix_and_no_setting_value(project_env):
    """Settings are read when a run starts, never when definitions load: the resources carry only the prefix
    and the non-secret defaults given in code."""
    project_env.setenv("INTACCT_CLIENT_SECRET", "must-not-be-captured")
    project_env.setenv("INTACCT_BASE_URL", "http://127.0.0.1:9/ia/api/v1")
    project_env.setenv("INTACCT_CLIENT_ID", "cid")
    project_env.setenv("INTACCT_USERNAME", "ws@ACME")
    defs = build_defs(settings={"entity_id": "E1"})
    conn, dest = defs.resources["intacct"], defs.resources["intacct_destination"]
    assert (conn.settings_prefix, conn.defaults) == ("INTACCT", {"entity_id": "E1"})
    assert (dest.settings_prefix, dest.pipeline_name) == ("INTACCT", "intacct")
    assert "must-not-be-captured" not in repr(defs.resources) and "127.0.0.1:9" not in repr(defs.resources)
    # ...and what they read follows the environment at run time
    project_env.setenv("INTACCT_ENTITY_ID", "E2")
    assert conn.settings().entity_id == "E2" and conn.settings().base_url == "http://127.0.0.1:9/ia/api/v1"
    project_env.delenv("INTACCT_ENTITY_ID")
    assert conn.settings().entity_id == "E1"
    # a second company reads its own prefix
    acme = build_defs(name="acme")
    assert acme.resources["acme"].settings_prefix == "INTACCT_ACME"
    assert acme.resources["acme_destination"].dataset == "acme"


def _no_network_sitecustomize(tmp_path: Path) -> Path:
    """A sitecustomize that refuses (and records) any non-loopback connection or DNS lookup."""
    d = tmp_path / "nonet"
    d.mkdir()
    (d / "sitecustomize.py").write_text(textwrap.dedent("""
        import os, socket
        _LOG = os.environ["NONET_LOG"]
        _LOCAL = {None, "localhost", "127.0.0.1", "::1", "0.0.0.0"}
        def _note(what):
            with open(_LOG, "a") as f:
                f.write(f"{what}\\n")
        _connect = socket.socket.connect
        def connect(self, address):
            if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
                _note(f"connect {address}")
                raise OSError(f"network disabled in this test: {address}")
            return _connect(self, address)
        socket.socket.connect = connect
        _gai = socket.getaddrinfo
        def getaddrinfo(host, *a, **k):
            if host not in _LOCAL:
                _note(f"dns {host}")
                raise socket.gaierror(f"network disabled in this test: {host}")
            return _gai(host, *a, **k)
        socket.getaddrinfo = getaddrinfo
    """))
    return d


def test_definitions_load_with_no_credentials_and_no_network(tmp_path: Path):
    """Both `dagster definitions validate` and `dg check defs`, as on a fresh clone with nothing configured."""
    nonet = _no_network_sitecustomize(tmp_path)
    log = tmp_path / "net.log"
    env = {**clean_os_env(), "PYTHONPATH": str(nonet), "NONET_LOG": str(log), "HOME": str(tmp_path),
           "DAGSTER_HOME": str(tmp_path / "dh"), "DO_NOT_TRACK": "1", "DAGSTER_DISABLE_TELEMETRY": "1"}
    (tmp_path / "dh").mkdir()
    (tmp_path / "dh" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for cmd in (
        [str(BIN / "dagster"), "definitions", "validate", "-m", "intacct_dagster.definitions"],
        [str(BIN / "dg"), "check", "defs", "--use-active-venv"],
    ):
        proc = subprocess.run(cmd, cwd=REPO, env={**env, "VIRTUAL_ENV": str(BIN.parent)},
                              capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    attempts = log.read_text() if log.exists() else ""
    assert attempts == "", f"loading definitions touched the network: {attempts}"


def test_missing_credentials_fail_at_run_time_naming_env_vars(project_env, tmp_path: Path):
    """Import works without credentials; the run fails once, clearly, and is not retried."""
    from intacct_dagster_tests.dagster._helpers import materialize

    project_env.setenv("INTACCT_DUCKDB_PATH", str(tmp_path / "x.duckdb"))
    project_env.chdir(tmp_path)  # no .dlt/secrets.toml here
    result = materialize(["vendors"], job_name="intacct_job", raise_on_error=False)
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    text = str(failures[0].event_specific_data)
    for var in ("INTACCT_CLIENT_ID", "INTACCT_CLIENT_SECRET", "INTACCT_USERNAME", "INTACCT_ACCESS_TOKEN"):
        assert var in text
