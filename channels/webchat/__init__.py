"""The citizen web chat channel: the `/chat` socket.io namespace (see docs/events.md)."""
