"""JSON log lines (server.json_logs): one object per record, exceptions included."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


def test_json_formatter_writes_one_object_per_record() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "bot.workers", logging.WARNING, __file__, 1, "row %s failed: %s", (7, "超时"), None
    )
    data = json.loads(formatter.format(record))
    assert data["level"] == "WARNING" and data["logger"] == "bot.workers"
    assert data["message"] == "row 7 failed: 超时"
    assert data["ts"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad", (), sys.exc_info())
    data = json.loads(formatter.format(record))
    assert "ValueError: boom" in data["exc"]
