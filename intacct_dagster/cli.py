"""`python -m intacct_dagster [demo|discover|settings]` (also the `intacct-dagster` console script).

- `demo` (the default): load every table through the project's definitions; the built-in sandbox when no
  credentials are configured (see `python -m intacct_dagster demo --help`).
- `discover`: list every object the company exposes and add the chosen ones to `.dlt/config.toml`.
- `settings`: print the settings tables (the README's are generated from them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DISCOVER_HELP = """\
List every object your Intacct company exposes (model service), with its number of fields, whether it
loads incrementally, and (--counts) its row count. --add/--all write the chosen objects into
.dlt/config.toml as [sources.<prefix>.extra_objects]; they appear as assets the next time the definitions
load. Re-running is safe: nothing you configured by hand is removed or changed.

examples:
  python -m intacct_dagster discover --counts
  python -m intacct_dagster discover --add accounts-payable/adjustment cash-management/savings-account
  python -m intacct_dagster discover --all          # every object this user can read
"""


def discover_main(argv: list[str]) -> int:
    from intacct_dagster.intacct.client import IntacctClient
    from intacct_dagster.intacct.connection import Connection
    from intacct_dagster.intacct.discovery import add_to_config, configured_tables, discover, render
    from intacct_dagster.intacct.errors import IntacctConfigError, IntacctError
    from intacct_dagster.intacct.settings import DEFAULT_PREFIX, SettingsReader, dlt_settings_dir

    p = argparse.ArgumentParser(prog="python -m intacct_dagster discover", description=DISCOVER_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", action="store_true", help="also count each object's rows (one API call each)")
    p.add_argument("--add", nargs="+", default=[], metavar="APP/OBJECT", help="objects to add to the config")
    p.add_argument("--all", action="store_true", help="add every object this user can read")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help="settings prefix of the company (default INTACCT)")
    p.add_argument("--config", type=Path, default=None, help="TOML file to write (default .dlt/config.toml)")
    args = p.parse_args(argv)
    try:
        reader = SettingsReader(args.prefix)
        connection = Connection(reader.connection().validate(), reader=reader)
        client: IntacctClient = connection.client()
        found = discover(client, count=args.counts or args.all)
        configured = configured_tables(reader)
        for obj in found:
            obj.table = configured.get(obj.path)
        print(render(found, counts=args.counts or args.all))
        readable = [o.path for o in found if o.readable]
        print(f"\n{len(found)} objects ({len(readable)} readable by this user), {client.request_count} API calls.")
        wanted = list(args.add) + (readable if args.all else [])
        unknown = [w for w in args.add if w not in {o.path for o in found}]
        if unknown:
            print(f"not exposed by this company: {', '.join(unknown)}", file=sys.stderr)
            return 2
        if wanted:
            target = args.config or dlt_settings_dir() / "config.toml"
            added = add_to_config(target, args.prefix, wanted)
            if added:
                print(f"\nAdded to {target}:")
                for table, path in added.items():
                    print(f"  {table} = {path!r}")
                print("They appear as assets when the definitions reload (e.g. Reload in the Dagster UI).")
            else:
                print(f"\nNothing to add: every chosen object is already loaded ({target}).")
    except (IntacctConfigError, IntacctError) as exc:
        print(f"discover failed: {exc}", file=sys.stderr)
        return 1
    return 0


def settings_main(argv: list[str]) -> int:
    from intacct_dagster.intacct.settings import DEFAULT_PREFIX, settings_table_markdown

    p = argparse.ArgumentParser(prog="python -m intacct_dagster settings",
                                description="Print every setting (env var, TOML key, default) as Markdown.")
    p.add_argument("--prefix", default=DEFAULT_PREFIX)
    args = p.parse_args(argv)
    for group in ("connection", "extraction", "destination", "dagster", "finance"):
        print(f"#### {group}\n\n{settings_table_markdown(group, args.prefix)}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "discover":
        return discover_main(argv[1:])
    if argv and argv[0] == "settings":
        return settings_main(argv[1:])
    if argv and argv[0] == "demo":
        argv = argv[1:]
    from intacct_dagster.demo import main as demo_main

    return demo_main(argv)


if __name__ == "__main__":
    sys.exit(main())
