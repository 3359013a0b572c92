"""A local, Intacct-compatible REST API sandbox (``/ia/api/v1``) for demos, tests and benchmarks.

See docs/architecture.md section 1 for the contract; ``Sandbox`` is the only public entry point.
"""

from .control import Sandbox

__all__ = ["Sandbox"]
