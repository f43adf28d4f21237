"""Cold start of the Lambda handler: import time, and import plus the first invocation.

Every run is a fresh interpreter (as a new Lambda container is), timed from inside so the
interpreter's own start-up is reported apart. Two cases: with the bytecode caches on disk, and
without (a fresh ``PYTHONPYCACHEPREFIX`` per run, so every module compiles: a zip without
``.pyc`` files). The first invocation builds the container (settings, Redis clients, the app,
Mangum) and answers a request that touches no store, so nothing leaves the process. Import time
per top-level package follows (``-X importtime``). Figures only: nothing here passes or fails.

    .venv/bin/python bench/cold_import.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import time
start = time.perf_counter()
import handlers.lambda_http as lambda_http
imported = time.perf_counter()
http = {"method": "GET", "path": "/api/v1/nothing", "sourceIp": "203.0.113.7"}
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": http["path"], "rawQueryString": "",
    "headers": {"host": "cold.example"}, "isBase64Encoded": False,
    "requestContext": {"http": http, "stage": "$default"},
}
class Context:
    def get_remaining_time_in_millis(self):
        return 29_000
assert lambda_http.handler(event, Context())["statusCode"] == 404
print(imported - start, time.perf_counter() - start)
"""

ENVIRONMENT = {
    "BURSTREAM_REDIS_URL": "redis://127.0.0.1:1/0",
    "BURSTREAM_JWT_SECRET": "bench-secret-0123456789abcdef0123456789abcdef",
    "AWS_LAMBDA_FUNCTION_NAME": "burstream-bench",
}


def main() -> None:
    args = _args()
    print(f"python {sys.version.split()[0]}, {args.runs} fresh interpreters each; milliseconds")
    print(f"{'case':44} {'median':>8} {'min':>8} {'max':>8}")
    _row("interpreter start-up (python -c pass)", [_startup() for _ in range(args.runs)])
    for cached in (True, False):
        runs = [_probe(cached) for _ in range(args.runs)]
        label = "with .pyc" if cached else "without .pyc"
        _row(f"import handlers.lambda_http, {label}", [imported for imported, _ in runs])
        _row(f"import + first invocation, {label}", [total for _, total in runs])
    print()
    print(f"import time by top-level package (ms, with .pyc), top {args.top}:")
    for name, ms in _slowest(args.top):
        print(f"  {ms:8.1f}  {name}")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=15)
    return parser.parse_args()


def _env(pycache: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BURSTREAM_")}
    env |= ENVIRONMENT
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, env=_env())
    return time.perf_counter() - start


def _probe(cached: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as pycache:
        result = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env=_env(None if cached else pycache),
            capture_output=True,
            text=True,
            check=True,
        )
    imported, total = result.stdout.split()
    return float(imported), float(total)


def _row(label: str, seconds: list[float]) -> None:
    ms = [value * 1000 for value in seconds]
    print(f"{label:44} {statistics.median(ms):8.1f} {min(ms):8.1f} {max(ms):8.1f}")


def _slowest(top: int) -> list[tuple[str, float]]:
    """Import time per top-level package (the sum of its modules' own times)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import handlers.lambda_http"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    per_package: dict[str, float] = {}
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own_us, _, name = line.removeprefix("import time:").split("|")
        package = name.strip().split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + int(own_us) / 1000
    return sorted(per_package.items(), key=lambda row: row[1], reverse=True)[:top]


if __name__ == "__main__":
    main()
