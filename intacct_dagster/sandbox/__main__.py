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
    args = ap.parse_args(argv)
    sb = Sandbox(lines=args.lines, seed=args.seed, token_lifetime_s=args.token_lifetime, port=args.port)
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
