"""A real python-socketio client for tests, which also reports why a connection was refused."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio


async def connect(url: str, namespace: str, auth: Any = None) -> tuple[socketio.AsyncClient, Any]:
    """Connect; return the client and the refusal's `{"code", "message"}` (None when connected)."""
    client = socketio.AsyncClient(reconnection=False)
    refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def on_error(data: Any = None) -> None:
        if not refused.done():
            refused.set_result(data)

    client.on("connect_error", on_error, namespace=namespace)
    try:
        await client.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        data = await asyncio.wait_for(refused, 5)
        await client.disconnect()
        return client, data.get("data", data) if isinstance(data, dict) else data
    return client, None
