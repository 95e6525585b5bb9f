"""``weigrid simulate``: post a message as a platform would, and print the bot's replies."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import typer
from rich.console import Console

from bot.settings import get_settings
from bot.simulator import bridge_request, local_replies_headers, wecom_bot_request, wecom_request

out = Console(soft_wrap=True)


def simulate_command(
    text: Annotated[str, typer.Argument(help="What the resident types.")],
    group: Annotated[str | None, typer.Option("--group", help="The group (chat/room id).")] = None,
    sender: Annotated[str, typer.Option(help="The sender's platform user id.")] = "resident-demo",
    via: Annotated[str, typer.Option(help="bridge | wecom | wecom_bot")] = "bridge",
    url: Annotated[str | None, typer.Option(help="Server base URL (default: server.public_url).")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for replies.")] = 5.0,
) -> None:
    """Sign or encrypt TEXT exactly as the platform would, post it to the running server, print the replies.

    ``--via wecom`` is a private chat with the WeCom app (app callbacks carry no group), so replies are
    read for the sender; the others are group messages and need ``--group``.
    """
    settings = get_settings()
    base = (url or settings.server.public_url).rstrip("/")
    if via == "bridge":
        if not group:
            raise typer.BadParameter("--group is required for bridge messages")
        req = bridge_request(settings, group_id=group, sender=sender, text=text)
        target = group
    elif via == "wecom_bot":
        if not group:
            raise typer.BadParameter("--group is required for robot messages")
        req = wecom_bot_request(settings, group_id=group, sender=sender, text=text)
        target = group
    elif via == "wecom":
        req = wecom_request(settings, sender=sender, text=text)
        target = sender
    else:
        raise typer.BadParameter("--via must be bridge, wecom or wecom_bot")
    with httpx.Client(base_url=base, timeout=10) as client:
        latest = _latest(client, settings, target)
        resp = client.request(
            req.method, req.path, params=req.params, headers=req.headers, content=req.content
        )
        if resp.status_code != 200:
            out.print(f"[red]server answered {resp.status_code}: {resp.text}[/]")
            raise typer.Exit(1)
        out.print(f"[dim]posted via {via}; waiting for replies…[/]")
        deadline = time.monotonic() + wait
        seen = 0
        while time.monotonic() < deadline:
            items = _replies(client, settings, target, latest)
            for item in items:
                out.print(f"[bold cyan]bot →[/] {item['body']}")
                latest = max(latest, int(str(item["id"])))
                seen += 1
            if seen and not items:
                break
            time.sleep(0.3)
        if not seen:
            out.print("[yellow](no reply: the bot stays quiet for chit-chat)[/]")


def _replies(client: httpx.Client, settings: object, target: str, after: int) -> list[dict[str, object]]:
    resp = client.get(
        "/local/replies",
        params={"target": target, "after": after},
        headers=local_replies_headers(settings, target=target, after=after),  # type: ignore[arg-type]
    )
    resp.raise_for_status()
    items: list[dict[str, object]] = resp.json()["items"]
    return items


def _latest(client: httpx.Client, settings: object, target: str) -> int:
    resp = client.get(
        "/local/replies",
        params={"target": target, "after": 0, "latest_only": True},
        headers=local_replies_headers(settings, target=target, after=0),  # type: ignore[arg-type]
    )
    resp.raise_for_status()
    return int(resp.json()["latest"])
