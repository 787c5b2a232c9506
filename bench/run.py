"""Run the benchmarks: `python -m bench` (make bench) or `python -m bench --smoke` (make bench-smoke).

Each benchmark prints its table as it finishes and writes `bench/results/<name>.json`
(`<name>-smoke.json` for the tiny sizes); the whole run's tables also go to
`bench/results/latest.txt` (or `latest-smoke.txt`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from contextlib import suppress

from bench import env
from bench.harness import RESULTS_DIR, machine, markdown, say, versions

BENCHMARKS = {
    "enqueue": "bench.bench_enqueue",
    "e2e": "bench.bench_e2e",
    "beat": "bench.bench_beat",
    "pages": "bench.bench_pages",
    "local": "bench.bench_local",
    "web": "bench.bench_web",
    "djtasks": "bench.bench_djtasks",
    "latency": "bench.bench_latency",
}


def server_versions() -> dict[str, str]:
    found = {}
    try:
        import redis

        client = redis.Redis.from_url(env.REDIS_URL, socket_connect_timeout=3)
        found["redis-server"] = client.info("server")["redis_version"]
        client.close()
    except Exception as exc:
        found["redis-server"] = f"unreachable: {exc}"
    try:
        from kombu import Connection

        with Connection(env.RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
            properties = connection.connection.server_properties
            found["rabbitmq-server"] = str(properties.get("version", "?"))
    except Exception as exc:
        found["rabbitmq-server"] = f"unreachable: {exc}"
    try:
        import psycopg

        with psycopg.connect(f"{env.POSTGRES_SERVER}/postgres", connect_timeout=3) as conn:
            found["postgresql-server"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        found["postgresql-server"] = f"unreachable: {exc}"
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that each benchmark still runs")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated, of {', '.join(BENCHMARKS)}")
    options = parser.parse_args(argv)
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}")

    started = time.monotonic()
    environment = {"machine": machine(), "versions": versions(), "servers": server_versions()}
    environment["site"] = env.LOCAL_MODE_NOTE
    m = environment["machine"]
    say(f"# helloworld benchmarks{' (smoke sizes)' if options.smoke else ''}")
    say(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb']} MB, {m['platform']}")
    say("versions: " + ", ".join(f"{k} {v}" for k, v in {**environment["versions"], **environment["servers"]}.items()))
    say(f"site: {env.LOCAL_MODE_NOTE}; prefix {env.PREFIX}, Redis {env.REDIS_URL}, database {env.DATABASE_NAME}")

    tables: list[str] = []
    reports = []
    failed: list[str] = []
    env.create_database()
    try:
        env.setup_django()
        for name in chosen:
            say(f"\n=== {name} ===")
            begun = time.monotonic()
            try:
                module = importlib.import_module(BENCHMARKS[name])
                for report in module.run(options.smoke):
                    reports.append(report)
                    path = report.write(environment, options.smoke)
                    table = report.table()
                    tables.append(table)
                    say(table)
                    say(f"  -> {path.relative_to(env.ROOT)}")
            except Exception:
                failed.append(name)
                say(f"benchmark {name} FAILED:\n{traceback.format_exc()}")
            say(f"({name}: {time.monotonic() - begun:.0f} s)")
    finally:
        with suppress(Exception):
            env.cleanup()

    total = time.monotonic() - started
    header = [
        f"# make bench{'-smoke' if options.smoke else ''}: {time.strftime('%Y-%m-%d %H:%M %Z')}, {total:.0f} s",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_mb']} MB",
        "versions: " + ", ".join(f"{k} {v}" for k, v in {**environment["versions"], **environment["servers"]}.items()),
        f"site: {env.LOCAL_MODE_NOTE}",
    ]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    latest = RESULTS_DIR / f"latest{'-smoke' if options.smoke else ''}.txt"
    latest.write_text("\n".join(header) + "\n\n" + "\n\n".join(tables) + "\n")
    (RESULTS_DIR / f"latest{'-smoke' if options.smoke else ''}.md").write_text(markdown(reports, header))
    say(f"\nall tables: {latest.relative_to(env.ROOT)}; total {total:.0f} s")
    if failed:
        say(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
