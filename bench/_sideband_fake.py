"""The fake OpenAI Realtime server for bench_sideband: every attached sideband hears one caller line a
second, each answered by one agent line (a 600 ms reply, no audio on the sideband), as a browser call
would over WebRTC.

`python -m bench._support run --cpu 1 bench._sideband_fake --port 0` prints OPENAI_BASE_URL=...;
GET /bench/stats returns the caller lines sent per call; POST /bench/quiet stops every driver after the
line it is sending (`?off=1`: drivers of sidebands attached from then on talk again), so a bench can let
the app catch up and then hold it to every line sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import socket
from collections.abc import Sequence

import orjson
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from simulator.realtime import AudioReply, FakeRealtime

CALLER_LINE = "I would like to book a cleaning for next week, line {n}"
AGENT_REPLY = AudioReply("Okay, I can help with that.", 600)


class DrivenFake(FakeRealtime):
    def __init__(self, api_key: str, interval: float) -> None:
        super().__init__(api_key=api_key)
        self.interval = interval
        self.lines_sent: dict[str, int] = {}
        self.quiet = False
        self.app.router.routes.append(Route("/bench/stats", self._stats, methods=["GET"]))
        self.app.router.routes.append(Route("/bench/quiet", self._quiet, methods=["POST"]))

    async def _realtime_socket(self, ws: WebSocket) -> None:
        call_id = ws.query_params.get("call_id")
        driver = asyncio.create_task(self._drive(call_id)) if call_id else None
        try:
            await super()._realtime_socket(ws)
        finally:
            if driver is not None:
                driver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await driver

    async def _drive(self, call_id: str) -> None:
        with contextlib.suppress(KeyError, TimeoutError):
            conn = await self.wait_for_sideband(call_id)
            n = 0
            while not conn.closed:
                await asyncio.sleep(self.interval)
                if self.quiet:
                    return
                n += 1
                await conn.caller_says(CALLER_LINE.format(n=n), AGENT_REPLY)
                self.lines_sent[call_id] = n

    async def _stats(self, _: Request) -> Response:
        body = {"lines_sent": self.lines_sent, "calls": len(self.calls), "hangups": len(self.hangups)}
        return Response(orjson.dumps(body), media_type="application/json")

    async def _quiet(self, request: Request) -> Response:
        self.quiet = request.query_params.get("off") != "1"
        return Response(status_code=204)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._sideband_fake")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-simulator-not-openai")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between caller lines")
    args = parser.parse_args(argv)
    fake = DrivenFake(args.api_key, args.interval)
    gc.collect()
    gc.freeze()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)
    print(f"OPENAI_BASE_URL=http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    config = uvicorn.Config(fake.app, log_level="warning", ws="websockets-sansio", ws_max_size=16 << 20)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
