"""The token endpoint's throttling is waited out like any other call; if it outlasts the retries the failure
is transient (retryable), never "credentials rejected"."""

from __future__ import annotations

import pytest

from intacct_dagster.intacct import ClientCredentialsAuth, IntacctAuthError, IntacctTransientError
from intacct_dagster.intacct.client import retry_after


@pytest.mark.parametrize("kind, params", [("throttle", {"retry_after": 2}), ("server_error", {"status": 503})])
def test_token_endpoint_throttling_is_waited_out(sandbox, kind, params):
    sandbox.inject_fault(kind, times=3, path_contains="oauth2/token", **params)
    waits: list[float] = []
    auth = ClientCredentialsAuth(sandbox.token_url, sandbox.client_id, sandbox.client_secret, sandbox.username,
                                 sleep=waits.append)
    assert auth.token()
    assert len(waits) == 3
    if kind == "throttle":
        assert all(w >= 2 for w in waits), waits  # Retry-After is honoured


def test_token_endpoint_throttling_that_never_ends_is_transient(sandbox):
    sandbox.inject_fault("throttle", times=50, path_contains="oauth2/token", retry_after=1)
    auth = ClientCredentialsAuth(sandbox.token_url, sandbox.client_id, sandbox.client_secret, sandbox.username,
                                 sleep=lambda s: None, max_attempts=4)
    with pytest.raises(IntacctTransientError) as err:
        auth.token()
    assert not isinstance(err.value, IntacctAuthError)
    assert err.value.retryable and "gave up after 4 attempts" in str(err.value)
    assert sandbox.client_secret not in str(err.value)


def test_wrong_secret_is_rejected_credentials_not_transient(sandbox):
    auth = ClientCredentialsAuth(sandbox.token_url, sandbox.client_id, "wrong-secret", sandbox.username,
                                 sleep=lambda s: None)
    with pytest.raises(IntacctAuthError) as err:
        auth.token()
    assert not err.value.retryable and "wrong-secret" not in str(err.value)


def test_retry_after_reads_every_gateway_header():
    assert retry_after({"Retry-After": "3"}) == 3
    assert retry_after({"X-IA-Throttle-Limit-RetryAfter": "5", "Retry-After": "1"}) == 5
    assert retry_after({}) is None


def test_a_refresh_answer_lost_after_rotation_says_how_to_reauthorise(sandbox, tmp_path):
    from intacct_dagster.intacct import RefreshTokenAuth

    refresh = sandbox.issue_refresh_token()
    store = tmp_path / "tokens.json"
    auth = RefreshTokenAuth(sandbox.token_url, sandbox.client_id, sandbox.client_secret, refresh, str(store),
                            sleep=lambda s: None)
    # Intacct rotates the refresh token, then the connection drops before its answer arrives
    sandbox.inject_fault("reset_after", times=1, path_contains="oauth2/token")
    with pytest.raises(IntacctAuthError) as err:
        auth.token()
    text = str(err.value)
    assert "rotated" in text and "lost in transit" in text and "Re-authorise" in text
    assert "INTACCT_REFRESH_TOKEN" in text and str(store) in text
    assert refresh not in text and sandbox.client_secret not in text
    assert not err.value.retryable


def test_a_revoked_refresh_token_is_rejected_with_advice(sandbox, tmp_path):
    from intacct_dagster.intacct import RefreshTokenAuth

    auth = RefreshTokenAuth(sandbox.token_url, sandbox.client_id, sandbox.client_secret, "not-a-refresh-token",
                            str(tmp_path / "tokens.json"), sleep=lambda s: None)
    with pytest.raises(IntacctAuthError, match="revoked, expired, or superseded") as err:
        auth.token()
    assert "not-a-refresh-token" not in str(err.value)
