"""OAuth token endpoint and bearer authentication of the sandbox."""

from __future__ import annotations

import base64
import json

import requests

VEND = "/objects/accounts-payable/vendor"


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _cc(sb, **over) -> dict:
    return {"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": sb.client_secret,
            "username": sb.username, **over}


def test_client_credentials_form_and_json(sandbox):
    for kw in ({"data": _cc(sandbox)}, {"json": _cc(sandbox)}):
        r = requests.post(sandbox.token_url, timeout=10, **kw)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 43200 and body["refresh_token"]
        claims = _claims(body["access_token"])
        assert {"clientId", "cnyId", "userId", "entityId", "exp", "iat", "iss", "sub"} <= set(claims)
        assert claims["cnyId"] == "SANDBOX" and claims["userId"] == "ws_user" and claims["entityId"] == ""
        assert claims["exp"] - claims["iat"] == 43200


def test_client_secret_basic(sandbox):
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    r = requests.post(sandbox.token_url, data={"grant_type": "client_credentials", "username": sandbox.username},
                      headers={"Authorization": f"Basic {basic}"}, timeout=10)
    assert r.status_code == 200, r.text


def test_entity_scoped_username(sandbox):
    r = requests.post(sandbox.token_url, data=_cc(sandbox, username=f"{sandbox.username}|E2"), timeout=10)
    assert r.status_code == 200
    assert _claims(r.json()["access_token"])["entityId"] == "E2"


def test_bad_secret_is_401_without_echo(sandbox):
    r = requests.post(sandbox.token_url, data=_cc(sandbox, client_secret="wrong-secret-xyz"), timeout=10)
    assert r.status_code == 401
    assert "ia::error" in r.json()
    assert "wrong-secret-xyz" not in r.text and sandbox.client_secret not in r.text


def test_username_errors(sandbox):
    cases = [({"username": "ws_user"}, 400, "GW-0012"), ({"username": ""}, 400, "GW-0036"),
             ({"username": "ws_user@SANDBOX|NOPE"}, 401, "GW-0011"), ({"client_id": ""}, 400, "GW-0037")]
    for over, status, code in cases:
        r = requests.post(sandbox.token_url, data=_cc(sandbox, **over), timeout=10)
        assert (r.status_code, r.json()["ia::error"]["code"]) == (status, code), over
    body = _cc(sandbox)
    del body["username"]
    r = requests.post(sandbox.token_url, data=body, timeout=10)
    assert r.json()["ia::error"]["code"] == "GW-0036"
    r = requests.post(sandbox.token_url, data=[*_cc(sandbox).items(), ("username", "x@y")], timeout=10)
    assert r.json()["ia::error"]["code"] == "GW-0039"
    r = requests.post(sandbox.token_url, data=_cc(sandbox, grant_type="password"), timeout=10)
    assert r.status_code == 400
    r = requests.post(sandbox.token_url, timeout=10)
    assert r.json()["ia::error"]["code"] == "GW-0035"


def test_refresh_token_rotation(sandbox):
    rt = sandbox.issue_refresh_token()
    body = {"grant_type": "refresh_token", "refresh_token": rt, "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret}
    r1 = requests.post(sandbox.token_url, data=body, timeout=10)
    assert r1.status_code == 200, r1.text
    new_rt = r1.json()["refresh_token"]
    assert new_rt != rt
    again = requests.post(sandbox.token_url, data=body, timeout=10)  # old one is spent
    assert again.status_code == 401 and again.json()["ia::error"]["code"] == "tokenInvalid"
    r2 = requests.post(sandbox.token_url, json={**body, "refresh_token": new_rt}, timeout=10)
    assert r2.status_code == 200
    tok = r2.json()["access_token"]
    assert requests.get(sandbox.base_url + VEND, headers={"Authorization": f"Bearer {tok}"}, timeout=10).ok


def test_authorization_code_single_use(sandbox):
    code = sandbox.issue_auth_code()
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb",
            "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    r = requests.post(sandbox.token_url, data=body, timeout=10)
    assert r.status_code == 200 and r.json()["refresh_token"]
    assert requests.post(sandbox.token_url, data=body, timeout=10).status_code == 400


def test_401_paths(sandbox, api):
    url = sandbox.base_url + VEND
    r = requests.get(url, timeout=10)
    assert r.status_code == 401 and r.json()["ia::error"]["code"] == "GW-0034"
    r = requests.get(url, headers={"Authorization": f"Token {api.token}"}, timeout=10)
    assert r.status_code == 401 and r.json()["ia::error"]["code"] == "GW-0034"
    r = requests.get(url, headers={"Authorization": "Bearer garbage.token.here"}, timeout=10)
    err = r.json()["ia::error"]
    assert r.status_code == 401 and err["code"] == "tokenInvalid" and err["errorId"] == "REST-2102"
    assert err["additionalInfo"]["messageId"] == "IA.TOKEN_IS_INVALID" and err["supportId"]
    assert api.get(VEND).status_code == 200
    sandbox.expire_tokens()
    r = api.get(VEND)
    assert r.status_code == 401 and r.json()["ia::error"]["code"] == "tokenInvalid"


def test_token_lifetime_and_clock(sandbox_factory):
    from .helpers import Api

    sb = sandbox_factory(token_lifetime_s=60)
    api = Api(sb)
    assert api.get(VEND).status_code == 200
    sb.advance_clock(61)
    assert api.get(VEND).status_code == 401


def test_token_from_other_sandbox_rejected(sandbox_factory):
    from .helpers import Api

    a, b = sandbox_factory(), sandbox_factory()
    tok = Api(a).token
    r = requests.get(b.base_url + VEND, headers={"Authorization": f"Bearer {tok}"}, timeout=10)
    assert r.status_code == 401


def test_revoke_and_introspect_are_404(sandbox):
    for ep in ("revoke", "introspect"):
        r = requests.post(f"{sandbox.base_url}/oauth2/{ep}", data={"token": "x"}, timeout=10)
        assert r.status_code == 404 and "ia::error" in r.json()
