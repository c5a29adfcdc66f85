"""Load benchmark of the Mechanic Shop API under its production server (granian; --server picks gunicorn).

    .venv/bin/python bench/run.py                       # SQLite + diskcache, 20k tickets
    .venv/bin/python bench/run.py --database postgres://postgres@127.0.0.1:5432/mechanic_bench --cache redis://127.0.0.1:6379/3
    .venv/bin/python bench/run.py --scale 10000,100000,1000000

It seeds a database with `seed_shop`, starts the server (DEBUG off, throttling off), drives each endpoint
with wrk from a separate process (after an uncounted warm-up), then measures
- the floor of the stack on the same server: a DRF view that authenticates the same JWT and answers a
  constant body (bench/urls.py), and
- a bare WSGI app under the same server and settings (the machine's ceiling),
and prints requests per second, p50/p99 latency, errors and each endpoint's share of the floor (measured
first and again last: the mean of the two).
Sign-in is measured with the rate limits on, at the rate they allow: ten sign-ins one after the other
(their median time), then the eleventh, which must be refused with 429.
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
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FLOOR = "floor: JWT + constant body"
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
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    if args.cache:
        env["CACHE_URL"] = args.cache
    else:
        env.pop("CACHE_URL", None)
        env["CACHE_DIR"] = str(WORK / "cache")
    return env


def manage(env, *argv: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *argv], cwd=PROJECT, env=env, check=True, capture_output=True, text=True
    ).stdout


def ensure_database(url: str) -> None:
    """Create the MariaDB/MySQL or PostgreSQL database the URL names, if it does not exist yet."""
    import environ

    config = environ.Env.db_url_config(url)
    name, engine = config["NAME"], config["ENGINE"]
    if not engine.endswith("sqlite3") and not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"database name {name!r}: use letters, digits and underscores only")
    if engine.endswith("mysql"):
        import MySQLdb

        connection = MySQLdb.connect(
            host=config["HOST"] or "localhost",
            port=int(config["PORT"] or 3306),
            user=config["USER"],
            password=config["PASSWORD"] or "",
        )
        connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        connection.close()
    elif engine.endswith("postgresql"):
        import psycopg

        with psycopg.connect(
            host=config["HOST"] or "localhost",
            port=int(config["PORT"] or 5432),
            user=config["USER"],
            password=config["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as connection:
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
    # DEBUG on for the seeding only: the demo logins then have the development passwords.
    manage(
        {**env, "DEBUG": "true"},
        "seed_shop",
        "--flush",
        "--tickets",
        str(tickets),
        "--customers",
        str(customers),
        "--mechanics",
        "25",
        "--parts",
        "200",
        "--seed",
        "1",
        "-v0",
    )
    print(f"seeded {tickets} tickets in {time.perf_counter() - started:.1f}s", flush=True)
    marker.write_text(json.dumps(wanted))


SERVERS = ("granian", "gunicorn-sync", "gunicorn-gthread")


def server_command(server: str, app: str, port: int, workers: int) -> list[str]:
    """The command line of one of the servers compared (docs/performance.md): granian as `make serve`
    runs it (serve.py), or gunicorn with gunicorn's sync or gthread workers."""
    bin_dir = Path(PYTHON).parent
    if server == "granian":
        return [
            PYTHON,
            str(PROJECT / "serve.py"),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    threads = ["--worker-class", "gthread", "--threads", "4"] if server == "gunicorn-gthread" else []
    return [
        str(bin_dir / "gunicorn"),
        "-c",
        str(PROJECT / "gunicorn.conf.py"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *threads,
        "--log-level",
        "warning",
    ]


class Server:
    def __init__(self, app: str, env: dict, workers: int, server: str = "granian"):
        self.port = free_port()
        self.process = subprocess.Popen(
            server_command(server, app, self.port, workers),
            cwd=PROJECT,
            env={**env, "SERVER_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read()) from None
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
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode() if body is not None else None, method=method
    )
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


def wrk(url: str, args, token: str | None = None, duration: int | None = None, headers: dict | None = None) -> dict:
    """One wrk run of GET requests."""
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{duration or args.duration}s", "--latency", "--timeout", "5s"]
    env = dict(os.environ)
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
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


def demo_customer_email(base: str) -> str:
    return call(base, "/customers?page=1&per_page=1", token=staff_token(base))[0]["email"]


def etag_of(base: str, path: str, token: str) -> str:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["ETag"]


def endpoints(base: str) -> list[tuple[str, str, str | None] | tuple[str, str, str | None, dict]]:
    staff = staff_token(base)
    customer_row = call(base, "/customers?page=1&per_page=1", token=staff)[0]
    customer = call(base, "/customers/login", {"email": customer_row["email"], "password": "demo-customer-pass"})[
        "auth_token"
    ]
    ticket_id = call(base, "/tickets/my-tickets?page=1&per_page=1", token=customer)
    ticket_path = f"/tickets/{ticket_id[0]['id']}" if ticket_id else "/tickets/1"
    return [
        # The floor first and again last (main): a run's conditions drift, and each endpoint's
        # share is of the mean of the two.
        (FLOOR + " (first)", "/bench/floor", staff),
        ("ticket detail", ticket_path, staff),
        # If-None-Match with the current tag: answered from the ticket's version, with no body.
        ("ticket detail 304", ticket_path, staff, {"If-None-Match": etag_of(base, ticket_path, staff)}),
        ("customer detail (cached)", f"/customers/{customer_row['id']}", staff),
        ("inventory page 3/10", "/inventory?page=3&per_page=10", staff),
        ("inventory whole list", "/inventory", staff),
        ("mechanic list (cached)", "/mechanics", staff),
        ("top-3-mechanics", "/mechanics/top-3-mechanics", staff),
        ("ticket list page", "/tickets?page=3&per_page=20", staff),
        ("ticket list by status", "/tickets?status=in_progress&page=1&per_page=20", staff),
        ("ticket history", f"{ticket_path}/history", staff),
        ("my-tickets", "/tickets/my-tickets", customer),
        (FLOOR, "/bench/floor", staff),
    ]


def measure(server: Server, path: str, args, token: str | None, headers: dict | None = None) -> dict:
    """wrk on one endpoint, after the server has drained and a warm-up that is not timed but whose
    errors count."""
    server.drain()
    warmup_errors = 0
    if args.warmup:
        warmup_errors = wrk(server.base + path, args, token, duration=args.warmup, headers=headers)["errors"]
        server.drain()
    result = wrk(server.base + path, args, token, headers=headers)
    result["errors"] += warmup_errors
    return result


def sign_in_check(env: dict, args, email: str) -> dict:
    """Ten customer sign-ins one after the other with the rate limits on (their median time),
    then the eleventh, which the limit of 10 a minute per address must refuse."""
    manage(env, "shell", "-c", "from django.core.cache import caches; caches['limits'].clear()")
    server = Server("mechanic_shop.wsgi:application", {**env, "THROTTLING_ENABLED": "true"}, args.workers, args.server)
    try:
        body = {"email": email, "password": "demo-customer-pass"}
        times = []
        for _ in range(10):
            started = time.perf_counter()
            call(server.base, "/customers/login", body)
            times.append((time.perf_counter() - started) * 1000)
        try:
            call(server.base, "/customers/login", body)
            eleventh = 200
        except urllib.error.HTTPError as exc:
            eleventh = exc.code
    finally:
        server.stop()
    times.sort()
    return {"median_ms": times[len(times) // 2], "max_ms": times[-1], "eleventh_status": eleventh}


def print_table(rows: list[tuple[str, dict]], ceiling: float) -> None:
    floors = [result["rps"] for name, result in rows if name.startswith(FLOOR)]
    floor = sum(floors) / len(floors) if floors else None
    print(
        f"\n{'endpoint':36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'of floor':>9} {'of ceiling':>11}"
    )
    for name, result in rows:
        share = f"{result['rps'] / floor:8.1%}" if floor else f"{'':8}"
        print(
            f"{name:36} {result['rps']:9.1f} {result['p50']:8.2f} {result['p99']:8.2f} {result['errors']:7d} "
            f"{share} {result['rps'] / ceiling:10.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=f"sqlite:///{WORK / 'bench.sqlite3'}")
    parser.add_argument("--cache", default="", help="CACHE_URL (default: the shared file cache)")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of uncounted load before each endpoint (0: none)"
    )
    parser.add_argument("--scale", default="", help="comma-separated ticket counts for the scale series")
    parser.add_argument("--server", choices=SERVERS, default="granian", help="the HTTP server (make serve: granian)")
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
        server = Server("mechanic_shop.wsgi:application", env, args.workers, args.server)
        try:
            email = demo_customer_email(server.base)
            rows = []
            for name, path, token, *headers in endpoints(server.base):
                if args.only and name.removesuffix(" (first)") not in args.only.split(","):
                    continue
                if args.scale and name not in ("ticket detail", "ticket list page", "my-tickets", "top-3-mechanics"):
                    continue
                rows.append((name, measure(server, path, args, token, *headers)))
                print(f"  {name}: {rows[-1][1]['rps']:.0f} req/s", flush=True)
        finally:
            server.stop()
        scale_rows.append((size, rows))

    sign_in = None if args.scale or args.only else sign_in_check(env, args, email)

    bare = Server("bench.bare_wsgi:application", env, args.workers, args.server)
    try:
        # The bare app has no /healthz; Server() polled it and got a 200 anyway (it answers every path).
        if args.warmup:
            wrk(bare.base + "/", args, duration=args.warmup)
        ceiling = wrk(bare.base + "/", args)
    finally:
        bare.stop()
    print(f"\nbare WSGI ceiling: {ceiling['rps']:.1f} req/s (p50 {ceiling['p50']:.2f} ms, p99 {ceiling['p99']:.2f} ms)")
    print(
        f"database {args.database.split('://')[0]}, "
        f"cache {'redis' if args.cache.startswith('redis') else 'diskcache'}, "
        f"{args.server}, {args.workers} workers, {args.connections} connections, {args.duration}s per endpoint "
        f"after {args.warmup}s of warm-up"
    )
    for size, rows in scale_rows:
        print(f"\n== {size:,} tickets ==")
        print_table(rows, ceiling["rps"])
    if sign_in:
        print(
            f"\ncustomer sign-in (Argon2, limits on): median {sign_in['median_ms']:.1f} ms, "
            f"slowest {sign_in['max_ms']:.1f} ms "
            f"of 10 in a row; the 11th within the minute answered {sign_in['eleventh_status']}"
        )


if __name__ == "__main__":
    main()
