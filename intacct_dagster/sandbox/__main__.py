"""CLI: ``python -m intacct_dagster.sandbox --port 0 --lines 5000`` serves the sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .control import Sandbox


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m intacct_dagster.sandbox", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = random)")
    ap.add_argument("--lines", type=int, default=5000, help="journal-entry lines (other objects scale with it)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--token-lifetime", type=int, default=43_200, help="access token lifetime in seconds")
    ap.add_argument("--company-id", default="SANDBOX", help="company id in usernames (ws_user@<company-id>)")
    ap.add_argument("--key-collation", choices=("numeric", "text"), default="numeric")
    ap.add_argument("--json-layout", choices=("compact", "pretty", "meta_first"), default="compact")
    ap.add_argument("--extra-row-keys", action="store_true", help="query rows carry an unrequested key")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds each query/model/list/get call takes")
    ap.add_argument("--latency-per-row", type=float, default=0.0, help="extra seconds per row returned")
    ap.add_argument("--concurrency-limit", type=int, default=None,
                    help="requests in flight per company before 429 GW-0010 (Sage tier 1: 8); default unlimited")
    args = ap.parse_args(argv)
    sb = Sandbox(lines=args.lines, seed=args.seed, token_lifetime_s=args.token_lifetime, port=args.port,
                 company_id=args.company_id, key_collation=args.key_collation, json_layout=args.json_layout,
                 extra_row_keys=args.extra_row_keys, latency_s=args.latency, latency_per_row_s=args.latency_per_row,
                 concurrency_limit=args.concurrency_limit)
    url = sb.start()
    print(f"Intacct sandbox: {url}  (built {args.lines} lines in {sb.build_seconds:.1f}s)")
    print(f"  token URL      {sb.token_url}")
    print(f"  client_id      {sb.client_id}")
    print(f"  client_secret  {sb.client_secret}")
    print(f"  username       {sb.username}   (entity-scoped: {sb.username}|E1)")
    print(f"  admin token    {sb.admin_token}   (header X-Sandbox-Admin, endpoints /__sandbox__/...)")
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()


if __name__ == "__main__":
    main()
