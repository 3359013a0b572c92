"""Every setting has one way in, with one precedence: env, then .dlt/secrets.toml, then .dlt/config.toml,
then code/defs.yaml defaults, then the built-in default. One test per setting proves it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.settings import SETTINGS, SettingsReader, settings_table_markdown

REPO = Path(__file__).resolve().parents[2]

# A distinct value per source for every kind of setting: (env text, TOML value, defaults value) -> expected.
VALUES = {
    "str": (("from-env", "from-env"), ("from-secrets", "from-secrets"), ("from-config", "from-config"),
            ("from-defaults", "from-defaults")),
    "bool": (("true", True), (False, False), (True, True), (False, False)),
    "int": (("11", 11), (22, 22), (33, 33), (44, 44)),
    "float": (("1.5", 1.5), (2.5, 2.5), (3.5, 3.5), (4.5, 4.5)),
    "list": (("a,b", ["a", "b"]), (["c"], ["c"]), (["d", "e"], ["d", "e"]), (["f"], ["f"])),
    "table": (('{"x": "app/x"}', {"x": "app/x"}), ({"y": "app/y"}, {"y": "app/y"}), ({"z": "app/z"}, {"z": "app/z"}),
              ({"w": "app/w"}, {"w": "app/w"})),
}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'{k} = "{v}"' for k, v in value.items()) + " }"
    return json.dumps(value)


def _write(dir_: Path, name: str, section: str, key: str, value) -> None:
    (dir_ / name).write_text(f"[sources.{section}]\n{key} = {_toml_value(value)}\n")


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.name for s in SETTINGS])
@pytest.mark.parametrize("prefix", ["INTACCT", "INTACCT_ACME"])
def test_precedence(setting, prefix, tmp_path):
    env_v, secrets_v, config_v, default_v = VALUES[setting.kind]
    dlt_dir = tmp_path / ".dlt"
    dlt_dir.mkdir()
    section = prefix.lower()
    defaults = {} if setting.secret else {setting.name: default_v[0]}
    var = setting.env_var(prefix)

    def read(env: dict[str, str]):
        return SettingsReader(prefix, defaults, environ=env, settings_dir=dlt_dir).lookup(setting.name)

    # nothing anywhere: the built-in default (or the code default)
    value, origin = read({})
    if setting.secret:
        assert (value, origin) == (setting.default, "built-in default")
    else:
        assert value == default_v[1] and origin.startswith("defaults")
    _write(dlt_dir, "config.toml", section, setting.name, config_v[0])
    assert read({}) == (config_v[1], f".dlt/config.toml [sources.{section}] {setting.name}")
    _write(dlt_dir, "secrets.toml", section, setting.name, secrets_v[0])
    assert read({}) == (secrets_v[1], f".dlt/secrets.toml [sources.{section}] {setting.name}")
    assert read({var: env_v[0]}) == (env_v[1], f"env {var}")
    # an empty variable is "not set" (a blank in a shell profile must not wipe a TOML value)
    assert read({var: ""})[0] == secrets_v[1]
    # another company's prefix and section never leak in
    other = "INTACCT_OTHER"
    value, origin = SettingsReader(other, {}, environ={setting.env_var(other) + "_X": "1", var: env_v[0]},
                                   settings_dir=dlt_dir).lookup(setting.name)
    assert (value, origin) == (setting.default, "built-in default")


def test_bad_values_name_the_setting_and_source(tmp_path):
    with pytest.raises(IntacctConfigError, match=r"'lookback_seconds' from env INTACCT_LOOKBACK_SECONDS is 'soon'"):
        SettingsReader(environ={"INTACCT_LOOKBACK_SECONDS": "soon"}, settings_dir=tmp_path).get("lookback_seconds")
    with pytest.raises(IntacctConfigError, match="INTACCT_INCLUDE_PRIVATE"):
        SettingsReader(environ={"INTACCT_INCLUDE_PRIVATE": "perhaps"}, settings_dir=tmp_path).get("include_private")
    (tmp_path / "config.toml").write_text("[sources.intacct\nbroken")
    with pytest.raises(IntacctConfigError, match="config.toml is not valid TOML"):
        SettingsReader(environ={}, settings_dir=tmp_path).get("base_url")


def test_secret_values_never_shown_in_errors(tmp_path):
    (tmp_path / "secrets.toml").write_text('[sources.intacct]\nclient_secret = 12345\n')
    reader = SettingsReader(environ={}, settings_dir=tmp_path)
    assert reader.get("client_secret") == "12345"  # a number in TOML is still the secret's text
    with pytest.raises(IntacctConfigError, match="secret setting") as err:
        SettingsReader(defaults={"client_secret": "hunter2"}, environ={})
    assert "hunter2" not in str(err.value)
    with pytest.raises(IntacctConfigError, match="unknown Intacct setting"):
        SettingsReader(defaults={"basse_url": "x"}, environ={})


def test_config_toml_does_not_beat_the_environment(tmp_path):
    """The bug that started this: `[sources.intacct] base_url` in config.toml won over INTACCT_BASE_URL, so the
    token and the queries could go to different hosts."""
    (tmp_path / "config.toml").write_text('[sources.intacct]\nbase_url = "https://elsewhere.example/ia/api/v1"\n'
                                          'entity_id = "E9"\n')
    env = {"INTACCT_BASE_URL": "http://127.0.0.1:9/ia/api/v1", "INTACCT_ENTITY_ID": "E1",
           "INTACCT_CLIENT_ID": "c", "INTACCT_CLIENT_SECRET": "s", "INTACCT_USERNAME": "u@C"}
    settings = SettingsReader(environ=env, settings_dir=tmp_path).connection()
    assert settings.base_url == "http://127.0.0.1:9/ia/api/v1" and settings.entity_id == "E1"
    assert settings.token_url.startswith("http://127.0.0.1:9/")
    assert settings.origins["base_url"] == "env INTACCT_BASE_URL"


def test_readme_settings_tables_are_generated_from_the_table():
    readme = (REPO / "README.md").read_text()
    for group in ("connection", "extraction", "destination", "dagster", "finance"):
        assert settings_table_markdown(group) in readme, f"README settings table for {group!r} is stale: " \
            "regenerate it with `python -m intacct_dagster settings`"
