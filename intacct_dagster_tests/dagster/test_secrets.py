"""No credential or token value shows up in a run's stored events, logs or metadata."""

from __future__ import annotations

from pathlib import Path

from dagster._core.test_utils import instance_for_test

from intacct_dagster_tests.dagster._helpers import event_log_text, materialize

# Let the extraction layer's and dlt's Python logs into the event log, so they are scanned too.
LOGS = {"python_logs": {"managed_python_loggers": ["intacct_dagster", "dlt"], "python_log_level": "DEBUG"}}


def _record_issued_tokens(sb, monkeypatch) -> list[str]:
    """Every access/refresh token the sandbox hands out during the run."""
    issued: list[str] = []
    original = sb.tokens._issue

    def issue(grant):
        body = original(grant)
        issued.extend(v for k, v in body.items() if k.endswith("_token") and isinstance(v, str))
        return body

    monkeypatch.setattr(sb.tokens, "_issue", issue)
    return issued


def test_no_secret_in_event_log(sandbox, project_env, tmp_path: Path):
    refresh = sandbox.issue_refresh_token()
    env = {
        "INTACCT_BASE_URL": sandbox.base_url,
        "INTACCT_CLIENT_ID": sandbox.client_id,
        "INTACCT_CLIENT_SECRET": sandbox.client_secret,
        "INTACCT_REFRESH_TOKEN": refresh,
        "INTACCT_TOKEN_STORE": str(tmp_path / "tokens.json"),
        "INTACCT_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
    }
    for k, v in env.items():
        project_env.setenv(k, v)
    issued = _record_issued_tokens(sandbox, project_env)

    with instance_for_test(overrides=LOGS) as instance:
        result = materialize(["vendors", "journal_entry_lines"], instance=instance)
        text = event_log_text(instance, result.run_id)
    assert result.success
    assert issued, "the run should have minted at least one access token"
    assert "rows_loaded" in text and "intacct: vendors" in text  # metadata and the source's own logs are here
    secrets = {"client_secret": sandbox.client_secret, "refresh_token": refresh}
    secrets.update({f"issued_token_{i}": t for i, t in enumerate(issued)})
    for name, value in secrets.items():
        assert value not in text, f"{name} leaked into the event log"
        assert value[:24] not in text, f"a prefix of {name} leaked into the event log"
