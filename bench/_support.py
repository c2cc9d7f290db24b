"""Shared benchmark plumbing: scratch PostgreSQL databases, Redis db 9, CPU-pinned server processes,
percentiles and tables. Child processes start through `python -m bench._support serve-app|run`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import os
import platform
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
import httpx
import orjson
from redis.asyncio import Redis

from tests.fixtures.factories import ADMIN_KEY
from tests.fixtures.postgres import ADMIN_DSN, async_url, create_database, drop_database

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
FAKE_OPENAI_KEY = "sk-simulator-not-openai"
DB_PREFIX = "callintake_bench"
LOCK_PATH = Path(tempfile.gettempdir()) / "callintake-bench.lock"


# ---------------------------------------------------------------- arguments and running


def parse_args(
    description: str, argv: Sequence[str] | None, extra: Callable[[Any], None] | None = None
) -> Any:
    """Every bench takes --quick (or BENCH_QUICK=1, which `python -m bench --quick` sets)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for smoke runs")
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    args.quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    return args


def run(coro: Awaitable[T]) -> T:
    """The benches' own event loop (uvloop, as the app's server uses), one benchmark run at a time."""
    import uvloop

    with bench_lock():
        return uvloop.run(coro)  # type: ignore[arg-type]


@contextlib.contextmanager
def bench_lock() -> Iterator[None]:
    """Benchmarks share Redis db 9 (flushed at start and end), both CPUs and PostgreSQL, so two runs at
    once break each other and measure each other: take a machine-wide lock, which processes started
    while it is held (the app, fakes, load generators) inherit through BENCH_LOCK_HELD."""
    if os.environ.get("BENCH_LOCK_HELD"):
        yield
        return
    with open(LOCK_PATH, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another benchmark run to finish ({LOCK_PATH})", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        os.environ["BENCH_LOCK_HELD"] = str(os.getpid())
        try:
            yield
        finally:
            os.environ.pop("BENCH_LOCK_HELD", None)
            fcntl.flock(lock, fcntl.LOCK_UN)


# ---------------------------------------------------------------- numbers and tables


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def p50(values: Sequence[float]) -> float:
    return percentile(values, 50)


def p90(values: Sequence[float]) -> float:
    return percentile(values, 90)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 99)


def ms(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if title:
        print(title)
    for n, row in enumerate(cells):
        line = "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  " + line.rstrip())
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    sys.stdout.flush()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


# ---------------------------------------------------------------- the machine


async def machine_facts() -> list[str]:
    facts = [
        f"nproc: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0))}); "
        f"loadavg: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"python: {platform.python_version()} ({platform.python_implementation()}) on {platform.platform()}",
    ]
    try:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            version = await conn.fetchval("SHOW server_version")
            buffers = await conn.fetchval("SHOW shared_buffers")
        finally:
            await conn.close()
        facts.append(f"postgresql: {version} (shared_buffers {buffers}) at {ADMIN_DSN.rsplit('/', 1)[0]}")
    except (OSError, asyncpg.PostgresError) as exc:
        facts.append(f"postgresql: unavailable ({type(exc).__name__})")
    try:
        redis = Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            info = await redis.info("server")
        finally:
            await redis.aclose()
        facts.append(f"redis: {info['redis_version']} (benches use {REDIS_URL})")
    except (OSError, ConnectionError) as exc:
        facts.append(f"redis: unavailable ({type(exc).__name__})")
    return facts


# ---------------------------------------------------------------- PostgreSQL and Redis


@contextlib.asynccontextmanager
async def scratch_database(*, migrate: bool = True) -> AsyncIterator[str]:
    """A database of our own (asyncpg DSN), built with the migrations and dropped afterwards."""
    from database.migrate import upgrade

    dsn = await create_database(DB_PREFIX)
    try:
        if migrate:
            await asyncio.to_thread(upgrade, async_url(dsn))
        yield dsn
    finally:
        await drop_database(dsn)


async def flush_bench_redis() -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


# ---------------------------------------------------------------- child processes


@dataclass
class Child:
    """A process in its own process group, pinned to one CPU; stop() ends the whole group."""

    name: str
    popen: subprocess.Popen[str]
    log_path: Path
    log_file: IO[str]
    cpu_core: int
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        """User + system CPU of the process so far (all its threads)."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_offset(self) -> int:
        return self.log_path.stat().st_size

    def log_events(self, since: int, event: str) -> list[dict[str, Any]]:
        """The app's own JSON log records named `event` written after offset `since`."""
        with open(self.log_path, "rb") as f:
            f.seek(since)
            lines = f.read().splitlines()
        found = []
        for line in lines:
            if line.startswith(b"{") and event.encode() in line:
                with contextlib.suppress(orjson.JSONDecodeError):
                    record = orjson.loads(line)
                    if record.get("event") == event:
                        found.append(record)
        return found

    def log_tail(self, n: int = 20) -> str:
        self.log_file.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self.log_file.close()
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def spawn(
    name: str,
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    ready: str,
    timeout: float = 30,
    cwd: Path | str = ROOT,
) -> tuple[Child, str]:
    """Start `python -m bench._support ARGS` and wait for the stdout line starting with `ready`."""
    log_file = tempfile.NamedTemporaryFile("w+", prefix=f"bench-{name}-", suffix=".log", delete=False)  # noqa: SIM115
    popen = subprocess.Popen(
        [sys.executable, "-m", "bench._support", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        start_new_session=True,
    )
    cpu = int(args[args.index("--cpu") + 1]) if "--cpu" in args else -1
    child = Child(name, popen, Path(log_file.name), log_file, cpu)
    assert popen.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(popen.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if popen.poll() is not None:
                raise RuntimeError(f"{name} exited with {popen.returncode}:\n{child.log_tail()}")
            if time.monotonic() > deadline or not selector.select(
                timeout=max(0.0, deadline - time.monotonic())
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after {timeout}s:\n{child.log_tail()}")
                continue
            line = popen.stdout.readline().strip()
            child.lines.append(line)
            if line.startswith(ready):
                return child, line[len(ready) :]
    except BaseException:
        child.stop()
        raise
    finally:
        selector.close()


def start_fake_openai(*, delay_ms: float, cpu: int) -> tuple[Child, str]:
    """The fake OpenAI (simulator.realtime) on its own CPU; returns it and its base URL."""
    args = [
        "run",
        "--cpu",
        str(cpu),
        "simulator.realtime",
        "--port",
        "0",
        "--delay-ms",
        str(delay_ms),
    ]
    args += ["--api-key", FAKE_OPENAI_KEY]
    return spawn("fake-openai", args, ready="OPENAI_BASE_URL=")


def app_env(*, database_url: str, openai_base_url: str = "http://127.0.0.1:9/v1") -> dict[str, str]:
    """The app configured the way production is: environment variables only."""
    return {
        "ENVIRONMENT": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "PLATFORM_ADMIN_KEY": ADMIN_KEY,
        "OPENAI_API_KEY": FAKE_OPENAI_KEY,
        "OPENAI_BASE_URL": openai_base_url,
        "LOG_LEVEL": os.environ.get("BENCH_APP_LOG_LEVEL", "INFO"),
    }


def start_app(env: dict[str, str], *, cpu: int, profile: str | None = None) -> tuple[Child, str]:
    """The real app under uvicorn (one worker, uvloop + httptools as `uvicorn main:app` picks).

    BENCH_APP_ROOT runs the app from another checkout (an A/B of a proposed change) with this bench code.
    """
    args = ["serve-app", "--cpu", str(cpu)]
    if profile:
        args += ["--profile", profile]
    cwd = os.environ.get("BENCH_APP_ROOT") or ROOT
    child, url = spawn("app", args, env=env, ready="APP_URL=", cwd=cwd)
    try:
        wait_http(url + "/healthz")
    except BaseException:
        child.stop()
        raise
    return child, url


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout}s")
        time.sleep(0.05)


def cpu_busy_jiffies() -> dict[int, tuple[int, int]]:
    """Per CPU (busy, total) jiffies from /proc/stat, to report how loaded each core was."""
    result: dict[int, tuple[int, int]] = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            ticks = [int(v) for v in values]
            idle = ticks[3] + ticks[4]  # idle + iowait
            result[int(name[3:])] = (sum(ticks) - idle, sum(ticks))
    return result


def cpu_busy_percent(
    before: dict[int, tuple[int, int]], after: dict[int, tuple[int, int]]
) -> dict[int, float]:
    return {
        cpu: (after[cpu][0] - before[cpu][0]) / max(1, after[cpu][1] - before[cpu][1]) * 100 for cpu in after
    }


async def redis_cpu_seconds() -> float:
    """CPU the whole redis-server has used (it is shared and unpinned; deltas show its share)."""
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        info = await redis.info("cpu")
    finally:
        await redis.aclose()
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


@contextlib.contextmanager
def pinned(cpus: set[int]) -> Iterator[None]:
    """Run this process on `cpus` for the block (the client side of a load test)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def usable_cpu(wanted: int) -> int:
    cpus = sorted(os.sched_getaffinity(0))
    return wanted if wanted in cpus else cpus[wanted % len(cpus)]


# ---------------------------------------------------------------- child entry points


def _child_setup(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    # Die with the bench process, even if it is killed with no chance to clean up.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        sys.exit(1)


def _serve_app(profile: str | None) -> None:
    import uvicorn

    from app.factory import create_app

    app = create_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"APP_URL=http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:  # as main.py serves it; an A/B against a checkout from before it has uvicorn's own
        from app.telephony.ws_server import RelayWebSocketProtocol

        ws: Any = RelayWebSocketProtocol
    except ImportError:
        ws = "auto"
    # As main.py runs it: one worker, no access log, uvicorn's automatic uvloop + httptools.
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5, ws=ws)
    server = uvicorn.Server(config)
    if profile is None:
        server.run(sockets=[sock])
        return
    import cProfile

    # uvicorn re-raises the SIGTERM it handled once it has shut down; a Python-level handler lets the
    # profile be written instead of the default action killing the process first.
    signal.signal(signal.SIGTERM, lambda *_: None)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        server.run(sockets=[sock])
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._support")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve-app", help="the app on 127.0.0.1:<free port>, settings from the environment"
    )
    serve.add_argument("--cpu", type=int, required=True)
    serve.add_argument("--profile", help="write cProfile stats here at shutdown")
    runner = sub.add_parser("run", help="run a module as __main__ pinned to one CPU")
    runner.add_argument("--cpu", type=int, required=True)
    runner.add_argument("module")
    runner.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    _child_setup(args.cpu)
    if args.command == "serve-app":
        _serve_app(args.profile)
    else:
        sys.argv = [args.module, *args.args]
        runpy.run_module(args.module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
