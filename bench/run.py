"""Load benchmark of the Mechanic Shop API under gunicorn with production settings.

    .venv/bin/python bench/run.py                       # SQLite, shared file cache, 20k tickets
    .venv/bin/python bench/run.py --database mysql://root@127.0.0.1:3306/mechanic_bench --cache redis://127.0.0.1:6379/3
    .venv/bin/python bench/run.py --scale 10000,100000,1000000

It seeds a database with `seed_shop`, starts gunicorn (DEBUG off, throttling off), drives each endpoint
with wrk from a separate process (after an uncounted warm-up), then measures a bare WSGI app under the
same gunicorn settings (the machine's ceiling) and prints requests per second, p50/p99 latency, errors
and the fraction of the ceiling.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORK = PROJECT / "var" / "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(args) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLING_ENABLED": "false",
        "REQUEST_LOG_LEVEL": "WARNING",
        "DATABASE_URL": args.database,
        "CACHE_KEY_PREFIX": "bench",
    }
    if args.cache:
        env["CACHE_URL"] = args.cache
    else:
        env["CACHE_URL"] = f"filecache://{WORK / 'cache'}"
    return env


def manage(env, *argv: str) -> str:
    return subprocess.run([PYTHON, "manage.py", *argv], cwd=PROJECT, env=env, check=True, capture_output=True, text=True).stdout


def ensure_database(url: str) -> None:
    """Create the MariaDB/MySQL or PostgreSQL database the URL names, if it does not exist yet."""
    import environ

    config = environ.Env.db_url_config(url)
    name, engine = config["NAME"], config["ENGINE"]
    if not engine.endswith("sqlite3") and not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"database name {name!r}: use letters, digits and underscores only")
    if engine.endswith("mysql"):
        import MySQLdb

        connection = MySQLdb.connect(host=config["HOST"] or "localhost", port=int(config["PORT"] or 3306),
                                     user=config["USER"], password=config["PASSWORD"] or "")
        connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        connection.close()
    elif engine.endswith("postgresql"):
        import psycopg

        with psycopg.connect(host=config["HOST"] or "localhost", port=int(config["PORT"] or 5432), user=config["USER"],
                             password=config["PASSWORD"] or None, dbname="postgres", autocommit=True) as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(f'CREATE DATABASE "{name}"')


def seed(env, tickets: int) -> None:
    marker = WORK / f"seeded-{hashlib.sha256(env['DATABASE_URL'].encode()).hexdigest()[:16]}.json"
    wanted = {"tickets": tickets, "database": env["DATABASE_URL"]}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--no-input", "-v0")
    customers = max(50, tickets // 20)
    started = time.perf_counter()
    manage(env, "seed_shop", "--flush", "--tickets", str(tickets), "--customers", str(customers),
           "--mechanics", "25", "--parts", "200", "--seed", "1", "-v0")
    print(f"seeded {tickets} tickets in {time.perf_counter() - started:.1f}s", flush=True)
    marker.write_text(json.dumps(wanted))


class Server:
    def __init__(self, app: str, env: dict, workers: int):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", str(PROJECT / "gunicorn.conf.py"), app,
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--log-level", "warning"],
            cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read())
                time.sleep(0.1)
        raise RuntimeError("server did not come up")

    def drain(self) -> None:
        """Wait until requests a previous wrk run left queued (slow logins) are answered, so they
        do not count against the next endpoint."""
        for _ in range(3):  # one per worker and one more, each behind whatever is queued
            urllib.request.urlopen(self.base + "/healthz", timeout=60).read()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def call(base: str, path: str, body: dict | None = None, token: str | None = None, method: str | None = None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        content = response.read()
    return json.loads(content) if content else None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(value) * _UNITS[unit]


def wrk(url: str, args, token: str | None = None, body: dict | list[dict] | None = None, duration: int | None = None) -> dict:
    """One wrk run. `body` is POSTed; a list of bodies is POSTed one after the other, each once."""
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{duration or args.duration}s", "--latency", "--timeout", "5s"]
    env = dict(os.environ)
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if isinstance(body, list):
        bodies = WORK / "bodies.jsonl"
        bodies.write_text("".join(json.dumps(each) + "\n" for each in body))
        command += ["-s", str(PROJECT / "bench" / "sign_in_each.lua")]
        env["WRK_BODIES"] = str(bodies)
    elif body is not None:
        command += ["-s", str(PROJECT / "bench" / "post.lua")]
        env["WRK_BODY"] = json.dumps(body)
    output = subprocess.run([*command, url], capture_output=True, text=True, env=env, check=True).stdout
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))
        p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))
    except (AttributeError, ValueError):
        raise RuntimeError(f"could not read wrk's output:\n{output}") from None
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def staff_token(base: str) -> str:
    return call(base, "/auth/login", {"username": "admin", "password": "shop-admin-demo"})["auth_token"]


def endpoints(base: str) -> list[tuple[str, str, str | None, dict | list[dict] | None]]:
    staff = staff_token(base)
    customer_row, creator_row = call(base, "/customers?page=1&per_page=2", token=staff)
    customer = call(base, "/customers/login", {"email": customer_row["email"], "password": "demo-customer-pass"})["auth_token"]
    # Tickets are created by another customer, so repeated runs do not grow the my-tickets answer.
    creator = call(base, "/customers/login", {"email": creator_row["email"], "password": "demo-customer-pass"})["auth_token"]
    ticket_id = call(base, "/tickets/my-tickets?page=1&per_page=1", token=customer)
    ticket_path = f"/tickets/{ticket_id[0]['id']}" if ticket_id else "/tickets/1"
    mechanic_id = call(base, "/mechanics?page=1&per_page=1", token=staff)[0]["id"]
    new_ticket = {"VIN": "1HGCM82633A004352", "service_date": "2026-11-25", "service_description": "Benchmark"}
    return [
        ("ticket detail", ticket_path, staff, None),
        ("customer detail (cached)", f"/customers/{customer_row['id']}", staff, None),
        ("inventory page", "/inventory?page=2&per_page=20", None, None),
        ("ticket list page", "/tickets?page=3&per_page=20", staff, None),
        ("mechanic list (cached)", "/mechanics", staff, None),
        ("mechanic detail (cached)", f"/mechanics/{mechanic_id}", staff, None),
        ("top-3-mechanics", "/mechanics/top-3-mechanics", staff, None),
        ("my-tickets", "/tickets/my-tickets", customer, None),
        ("customer login", "/customers/login", None, {"email": customer_row["email"], "password": "demo-customer-pass"}),
        ("customer login (new account)", "/customers/login", None, NEW_ACCOUNTS),
        ("ticket create", "/tickets", creator, new_ticket),
    ]


# Stands for the accounts new_accounts() signs up: seeded customers share one password hash (hashing
# each would take hours), so signing them in measures the remembered sign-in, not a new one.
NEW_ACCOUNTS: list[dict] = []
NEW_ACCOUNT_COUNT = 400  # more than two workers check in --duration seconds (about 20 a second)


@contextmanager
def new_accounts(base: str, staff: str):
    """Customers signed up through the API for this run (each with a hash of its own), deleted after."""
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=4) as pool:
        created = list(pool.map(
            lambda n: call(base, "/customers", {"name": f"Bench Signin {n}", "email": f"signin-{run}-{n}@example.com",
                                                "phone": "555-0100", "password": "Bench-Signin-Pass-1"}),
            range(NEW_ACCOUNT_COUNT)))
    try:
        yield [{"email": row["email"], "password": "Bench-Signin-Pass-1"} for row in created]
    finally:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda row: call(base, f"/customers/{row['id']}", token=staff, method="DELETE"), created))


def measure(server: Server, path: str, args, token: str | None, body) -> dict:
    """wrk on one endpoint, after the server has drained and a warm-up that is not timed (each
    worker's first request of a kind fills what it keeps for the next: a compiled query, a verified
    token, a sign-in, a stored response) but whose errors count."""
    if body is NEW_ACCOUNTS:  # each account signs in once, so no warm-up may use them up
        with new_accounts(server.base, staff_token(server.base)) as accounts:
            server.drain()
            return wrk(server.base + path, args, token, accounts)
    server.drain()
    warmup_errors = 0
    if args.warmup:
        warmup_errors = wrk(server.base + path, args, token, body, duration=args.warmup)["errors"]
        server.drain()
    result = wrk(server.base + path, args, token, body)
    result["errors"] += warmup_errors
    return result


def print_table(rows: list[tuple[str, dict]], ceiling: float) -> None:
    print(f"\n{'endpoint':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'of ceiling':>11}")
    for name, result in rows:
        print(f"{name:28} {result['rps']:9.1f} {result['p50']:8.2f} {result['p99']:8.2f} {result['errors']:7d} {result['rps'] / ceiling:10.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=f"sqlite:///{WORK / 'bench.sqlite3'}")
    parser.add_argument("--cache", default="", help="CACHE_URL (default: the shared file cache)")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of uncounted load before each endpoint (0: none)")
    parser.add_argument("--scale", default="", help="comma-separated ticket counts for the scale series")
    parser.add_argument("--only", default="", help="comma-separated endpoint names to run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    WORK.mkdir(parents=True, exist_ok=True)
    env = server_env(args)

    sizes = [int(n) for n in args.scale.split(",")] if args.scale else [args.tickets]
    scale_rows = []
    for size in sizes:
        seed(env, size)
        # Entries another version of the code left behind must not be served to this one.
        manage(env, "shell", "-c", "from django.core.cache import cache; cache.clear()")
        server = Server("mechanic_shop.wsgi:application", env, args.workers)
        try:
            rows = []
            for name, path, token, body in endpoints(server.base):
                if args.only and name not in args.only.split(","):
                    continue
                if args.scale and name not in ("ticket detail", "ticket list page", "my-tickets", "top-3-mechanics"):
                    continue
                rows.append((name, measure(server, path, args, token, body)))
                print(f"  {name}: {rows[-1][1]['rps']:.0f} req/s", flush=True)
        finally:
            server.stop()
        scale_rows.append((size, rows))

    bare = Server("bench.bare_wsgi:application", env, args.workers)
    try:
        # The bare app has no /healthz; Server() polled it and got a 200 anyway (it answers every path).
        if args.warmup:
            wrk(bare.base + "/", args, duration=args.warmup)
        ceiling = wrk(bare.base + "/", args)
    finally:
        bare.stop()
    print(f"\nbare WSGI ceiling: {ceiling['rps']:.1f} req/s (p50 {ceiling['p50']:.2f} ms, p99 {ceiling['p99']:.2f} ms)")
    print(f"database {args.database.split('://')[0]}, cache {'redis' if args.cache.startswith('redis') else 'file'}, "
          f"{args.workers} gunicorn workers, {args.connections} connections, {args.duration}s per endpoint "
          f"after {args.warmup}s of warm-up")
    for size, rows in scale_rows:
        print(f"\n== {size:,} tickets ==")
        print_table(rows, ceiling["rps"])


if __name__ == "__main__":
    main()
