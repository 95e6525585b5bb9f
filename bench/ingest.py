"""Ingest benchmark: the real server over loopback vs a bare FastAPI endpoint.

Starts ``weigrid serve`` (SQLite in WAL mode, workers and scheduler on, as in production on the embedded
default) and a bare FastAPI app that only returns "success", both under uvicorn in their own processes.
Drives each with (a) encrypted WeCom XML made with wechatpy, as WeCom would send it, and (b) signed bridge
JSON. Measures closed-loop throughput (msgs/s) at a fixed concurrency, then latency (p50/p99) at a fixed
open-loop rate of 200 msg/s. Prints the full-path/bare ratio.

Targets (issue 2): full path >= 0.5x the bare endpoint; p99 < 50 ms at 200 msg/s.

Usage: .venv/bin/python bench/ingest.py [--requests 3000] [--concurrency 32] [--rate 200] [--seconds 10]
It stops by itself; every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from bot.simulator import PreparedRequest, bridge_request, wecom_request  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def secret(n: int = 32) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def start_weigrid(tmp: Path, port: int, env_secrets: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGRID_")}
    env.update(env_secrets)
    env.update(
        {
            "WEIGRID_MODE": "local",
            "WEIGRID_DATABASE__URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "WEIGRID_SERVER__DATA_DIR": str(tmp / "data"),
        }
    )
    log = (tmp / "weigrid.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_up(port, proc)
    return proc


def start_bare(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_up(port, proc)
    return proc


async def closed_loop(
    base: str, reqs: list[PreparedRequest], concurrency: int
) -> tuple[float, list[float], int]:
    """Send every request with ``concurrency`` in flight. Returns (msgs/s, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    queue = list(reversed(reqs))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while queue:
                req = queue.pop()
                t0 = time.perf_counter()
                resp = await client.post(
                    req.path, params=req.params, headers=req.headers, content=req.content
                )
                latencies.append(time.perf_counter() - t0)
                if resp.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(reqs) / elapsed, latencies, errors


async def open_loop(base: str, reqs: list[PreparedRequest], rate: float) -> tuple[list[float], int]:
    """Send at a fixed rate regardless of answers (what WeCom does). Returns (latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=200)
    ) as client:

        async def one(req: PreparedRequest) -> None:
            nonlocal errors
            t0 = time.perf_counter()
            resp = await client.post(req.path, params=req.params, headers=req.headers, content=req.content)
            latencies.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                errors += 1

        tasks = []
        start = time.perf_counter()
        for i, req in enumerate(reqs):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(req)))
        await asyncio.gather(*tasks)
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def make_requests(settings: Settings, kind: str, n: int, tag: str) -> list[PreparedRequest]:
    texts = [
        "3栋楼道里有人拉飞线给电动车充电",
        "收到",
        "谢谢楼栋长",
        "5单元门口垃圾好几天没人清理了",
        "大家早上好",
    ]
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        if kind == "wecom":
            out.append(wecom_request(settings, sender=f"user{i % 500}", text=text, msg_id=f"{tag}{i}"))
        else:
            out.append(
                bridge_request(
                    settings,
                    group_id=f"bench{i % 800}@chatroom",
                    sender=f"wxid_{i % 500}",
                    text=text,
                    msg_id=f"{tag}{i}",
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    values = {
        "WEIGRID_WECOM__TOKEN": secret(),
        "WEIGRID_WECOM__ENCODING_AES_KEY": secret(43),
        "WEIGRID_WECOM__CORP_ID": "wwbench" + secret(10).lower(),
        "WEIGRID_BRIDGE__SECRET": secret(),
        "WEIGRID_WECOM_BOT__TOKEN": secret(),
        "WEIGRID_WECOM_BOT__ENCODING_AES_KEY": secret(43),
        "WEIGRID_SERVER__SESSION_SECRET": secret(),
    }
    settings = Settings(
        wecom={
            "token": values["WEIGRID_WECOM__TOKEN"],
            "encoding_aes_key": values["WEIGRID_WECOM__ENCODING_AES_KEY"],
            "corp_id": values["WEIGRID_WECOM__CORP_ID"],
        },
        bridge={"secret": values["WEIGRID_BRIDGE__SECRET"]},
    )
    with tempfile.TemporaryDirectory(prefix="weigrid-bench-") as tmpdir:
        tmp = Path(tmpdir)
        wg_port, bare_port = free_port(), free_port()
        weigrid = start_weigrid(tmp, wg_port, values)
        bare = start_bare(bare_port)
        rows = []
        try:
            for kind in ("wecom", "bridge"):
                for name, port in (("bare", bare_port), ("weigrid", wg_port)):
                    base = f"http://127.0.0.1:{port}"
                    reqs = make_requests(settings, kind, args.requests, f"{kind}-{name}-c-")
                    asyncio.run(
                        closed_loop(base, reqs[:200], args.concurrency)
                    )  # warm-up (dedupe makes repeats cheap)
                    rps, lat, errs = asyncio.run(closed_loop(base, reqs, args.concurrency))
                    n_rate = int(args.rate * args.seconds)
                    rate_reqs = make_requests(settings, kind, n_rate, f"{kind}-{name}-r-")
                    rlat, rerrs = asyncio.run(open_loop(base, rate_reqs, args.rate))
                    rows.append(
                        (
                            kind,
                            name,
                            rps,
                            pct(lat, 0.5),
                            pct(lat, 0.99),
                            pct(rlat, 0.5),
                            pct(rlat, 0.99),
                            errs + rerrs,
                        )
                    )
        finally:
            weigrid.terminate()
            bare.terminate()
            weigrid.wait(timeout=20)
            bare.wait(timeout=20)
    print(
        f"ingest benchmark: {args.requests} requests at concurrency {args.concurrency}; then {args.rate:.0f} msg/s for {args.seconds:.0f} s"
    )
    print(
        f"{'payload':8} {'server':8} {'msgs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'@rate p50':>10} {'@rate p99':>10} {'errors':>7}"
    )
    for kind, name, rps, p50, p99, r50, r99, errs in rows:
        print(f"{kind:8} {name:8} {rps:8.0f} {p50:8.1f} {p99:8.1f} {r50:10.1f} {r99:10.1f} {errs:7d}")
    for kind in ("wecom", "bridge"):
        bare_rps = next(r[2] for r in rows if r[0] == kind and r[1] == "bare")
        full = next(r for r in rows if r[0] == kind and r[1] == "weigrid")
        ok = "OK" if full[2] / bare_rps >= 0.5 and full[6] < 50 else "MISSED"
        print(
            f"{kind}: full path / bare = {full[2] / bare_rps:.2f}x (target >= 0.5x); p99 at {args.rate:.0f} msg/s = {full[6]:.1f} ms (target < 50 ms) -> {ok}"
        )


if __name__ == "__main__":
    main()
