"""The baseline for bench/ingest.py: a FastAPI endpoint that only returns "success"."""

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
