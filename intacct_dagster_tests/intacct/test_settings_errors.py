"""Settings, error mapping and the token store file, without a server."""

from __future__ import annotations

import os
import stat

import pytest

from intacct_dagster.intacct import (
    IntacctConfigError,
    IntacctSettings,
    StaticTokenAuth,
    TokenStore,
    auth_from_settings,
    intacct_source,
)
from intacct_dagster.intacct.errors import error_from_body

ERR = {"code": "invalidRequest", "message": "Payload contains errors", "errorId": "REST-1064",
       "supportId": "sQrM9", "details": [{"message": "/newDate is not a valid field"}]}


@pytest.mark.parametrize("body", [{"ia::result": {"ia::error": ERR}}, {"ia::error": ERR}, {"error": ERR}])
def test_error_body_placements(body):
    e = error_from_body(400, body, "/services/core/query")
    assert (e.status, e.code, e.error_id, e.support_id) == (400, "invalidRequest", "REST-1064", "sQrM9")
    assert "REST-1064" in str(e) and "sQrM9" in str(e) and "newDate" in str(e)


def test_gateway_error_details_dict():
    e = error_from_body(429, {"ia::error": {"code": "GW-0010", "message": "rate", "details": {"requestId": "x"}}})
    assert e.code == "GW-0010" and e.details == [{"requestId": "x"}]


def test_settings_from_env_and_repr_hides_secrets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .dlt/ files here: only the given environment counts
    env = {"INTACCT_BASE_URL": "http://127.0.0.1:1/ia/api/v1", "INTACCT_CLIENT_ID": "cid",
           "INTACCT_CLIENT_SECRET": "s3cr3t-value", "INTACCT_USERNAME": "u@C|E1", "INTACCT_INCLUDE_PRIVATE": "true"}
    s = IntacctSettings.from_env(environ=env)
    assert s.origins["client_secret"] == "env INTACCT_CLIENT_SECRET" and s.entity == "E1"
    assert s.is_configured and s.auth_mode == "client_credentials" and s.include_private is True
    assert s.token_url == "http://127.0.0.1:1/ia/api/v1/oauth2/token"
    assert "s3cr3t-value" not in repr(s) and "s3cr3t-value" not in repr(auth_from_settings(s))
    static = IntacctSettings(access_token="tok-123456")
    assert "tok-123456" not in repr(static) and "tok-123456" not in repr(StaticTokenAuth("tok-123456"))


def test_validation_names_setting_and_env_var():
    with pytest.raises(IntacctConfigError, match="INTACCT_CLIENT_SECRET"):
        IntacctSettings(client_id="x", username="u@c").validate()
    with pytest.raises(IntacctConfigError, match="INTACCT_ACCESS_TOKEN"):
        IntacctSettings().validate()
    with pytest.raises(IntacctConfigError, match="INTACCT_TOKEN_STORE"):
        IntacctSettings(client_id="x", client_secret="y", refresh_token="r").validate()


def test_source_definition_needs_no_secrets_and_no_network(monkeypatch):
    for k in list(os.environ):
        if k.startswith("INTACCT_"):
            monkeypatch.delenv(k)
    import socket

    def no_network(*a, **k):
        raise AssertionError("network I/O while defining the source")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    src = intacct_source()
    assert src.name == "intacct"
    assert "journal_entry_lines" in src.resources and "project_budgets" in src.resources
    # every table merges on its key (objects without an audit timestamp too: their deleted rows are removed
    # by delete markers, never by replacing the table)
    for name, resource in src.resources.items():
        assert resource.write_disposition == {"disposition": "merge", "strategy": "delete-insert"}, name
    assert src.resources["ap_terms"].compute_table_schema()["columns"]["key"]["primary_key"] is True
    with pytest.raises(IntacctConfigError):
        intacct_source(mode="bogus")


def test_token_store_is_private(tmp_path):
    store = TokenStore(tmp_path / "sub" / "tokens.json")
    with store.lock():
        store.write({"refresh_token": "r1"})
    assert store.read() == {"refresh_token": "r1"}
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir() if p.name.startswith(".tokens-")] == []
