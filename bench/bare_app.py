"""The baseline for bench/ingest.py: a FastAPI endpoint that only returns "success".

``python bench/bare_app.py PORT [PROCESSES]`` serves it the way ``weigrid serve`` serves WeiGrid: one
uvicorn process, or PROCESSES processes on one port with ``SO_REUSEPORT`` (bot/serve.py), so that
the comparison is like for like.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.post("/wecom/callback", response_class=PlainTextResponse)
async def callback() -> str:
    return "success"


@app.post("/bridge/messages", response_class=PlainTextResponse)
async def bridge() -> str:
    return "success"


@app.get("/healthz", response_class=PlainTextResponse)
async def healthz() -> str:
    return "ok"


def serve(port: int) -> None:
    from bot.serve import die_with_parent, reuse_port_socket

    die_with_parent()
    sock = reuse_port_socket("127.0.0.1", port)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])


def main() -> None:
    port, processes = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if processes == 1:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        return
    others = [multiprocessing.Process(target=serve, args=(port,), daemon=True) for _ in range(processes - 1)]
    for proc in others:
        proc.start()
    serve(port)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
