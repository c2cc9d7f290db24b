"""The fake OpenAI Realtime server for bench_bridge, stamping every caller frame it receives and every
audio delta it sends with CLOCK_MONOTONIC, which the load generator's process reads too.

`python -m bench._support run --cpu 1 bench._bridge_fake --port 0` prints OPENAI_BASE_URL=...;
GET /bench/stats returns the stamps per connection (keyed by the first two bytes of its caller audio),
POST /bench/reset forgets every connection.
"""

from __future__ import annotations

import argparse
import gc
import socket
import time
from collections.abc import Sequence

import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from simulator.realtime import (
    AudioReply,
    Behaviour,
    FakeConnection,
    FakeRealtime,
    _Closed,
    _error_body,
    _json_response,
)

_DELTA_PREFIX = '{"type":"response.output_audio.delta"'
_CLOCK = time.CLOCK_MONOTONIC


class TimedConnection(FakeConnection):
    def __init__(self, ws: WebSocket, behaviour: Behaviour) -> None:
        super().__init__(ws, behaviour)
        self.delta_times: list[float] = []
        self.append_clock: list[float] = []

    async def _send_text(self, text: str) -> None:
        await super()._send_text(text)
        if text.startswith(_DELTA_PREFIX):
            self.delta_times.append(time.clock_gettime(_CLOCK))

    async def _on_append(self, b64: str) -> None:
        self.append_clock.append(time.clock_gettime(_CLOCK))
        await super()._on_append(b64)


class TimedFake(FakeRealtime):
    """FakeRealtime whose connections are TimedConnections, plus the stats routes."""

    def __init__(self, behaviour: Behaviour, api_key: str) -> None:
        super().__init__(api_key=api_key, behaviour=behaviour)
        self.app.router.routes.append(Route("/bench/stats", self._stats, methods=["GET"]))
        self.app.router.routes.append(Route("/bench/reset", self._reset, methods=["POST"]))

    async def _realtime_socket(self, ws: WebSocket) -> None:
        # FakeRealtime's handshake checks, with the timed connection class.
        if not self._authorized(ws.headers.get("authorization")):
            body = _error_body("Incorrect API key provided.", "invalid_api_key")
            await ws.send_denial_response(_json_response(401, body))
            return
        connection = TimedConnection(ws, self.behaviour.clone())
        await ws.accept()
        self.connections.append(connection)
        try:
            await connection._serve()
        except _Closed:
            pass
        finally:
            await connection._shutdown()

    async def _stats(self, _: Request) -> Response:
        rows = [
            {
                "marker": conn.input_audio[:2].hex(),
                "appends": conn.append_clock,
                "deltas": conn.delta_times,
                "errors": [e["error"].get("code") for e in conn.sent_events if e["type"] == "error"],
                "truncates": len(conn.received("conversation.item.truncate")),
            }
            for conn in self.connections
            if isinstance(conn, TimedConnection)
        ]
        return Response(orjson.dumps({"connections": rows}), media_type="application/json")

    async def _reset(self, _: Request) -> Response:
        self.connections.clear()
        return Response(status_code=204)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._bridge_fake")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-simulator-not-openai")
    parser.add_argument("--respond-every-ms", type=int, default=1000)
    parser.add_argument("--reply-audio-ms", type=int, default=600)
    args = parser.parse_args(argv)
    behaviour = Behaviour(
        greeting=AudioReply("Thanks for calling, how can I help?", args.reply_audio_ms),
        respond_every_ms=args.respond_every_ms,
        reply_audio_ms=args.reply_audio_ms,
    )
    fake = TimedFake(behaviour, args.api_key)
    # As in the load generator: the fake's own collector pauses would be counted as bridge latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)
    print(f"OPENAI_BASE_URL=http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    config = uvicorn.Config(fake.app, log_level="warning", ws="websockets-sansio", ws_max_size=16 << 20)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
