"""The whole stack for the browser harness: the fake OpenAI Realtime in its WebRTC mode (the WebRTC
simulator answers its `/v1/realtime/calls`, see tests/fakes/openai_realtime.py), and callintake itself
(`main.py`, embedded default) in a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from simulator.realtime import EMERGENCY_LINE, FakeRealtime, WebRTCMode
from simulator.webrtc import WebRTCSimulator
from tests.fakes.server import serve

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "browser-harness-admin-key-0123456789abcdef"
OPENAI_KEY = "sk-simulator-not-openai"
CALLER_LINE = EMERGENCY_LINE


@dataclass
class Stack:
    callintake_url: str
    api_key: str
    fake: FakeRealtime

    @property
    def webrtc(self) -> WebRTCSimulator:
        assert self.fake.webrtc is not None
        return self.fake.webrtc

    async def get_call(self, call_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.callintake_url, timeout=10) as client:
            response = await client.get(
                f"/api/calls/{call_id}", headers={"Authorization": f"Bearer {self.api_key}"}
            )
            response.raise_for_status()
            return dict(response.json())

    async def list_calls(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.callintake_url, timeout=10) as client:
            response = await client.get("/api/calls", headers={"Authorization": f"Bearer {self.api_key}"})
            response.raise_for_status()
            return list(response.json()["items"])


async def _org_key(base_url: str) -> str:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        orgs = (await client.get("/api/admin/orgs", headers=admin)).json()["items"]
        org_id = next(org["id"] for org in orgs if org["slug"] == "demo")
        body = {"name": "browser harness", "scopes": ["sessions:create", "calls:write", "calls:read"]}
        created = await client.post(f"/api/admin/orgs/{org_id}/api-keys", headers=admin, json=body)
        created.raise_for_status()
        return str(created.json()["key"])


@contextlib.asynccontextmanager
async def running_stack(port: int, log_dir: Path) -> AsyncIterator[Stack]:
    from tests.browser.browser_call import _wait_http

    fake = FakeRealtime(api_key=OPENAI_KEY, webrtc=WebRTCMode())
    async with serve(fake.app) as fake_server:
        workdir = Path(tempfile.mkdtemp(prefix="callintake-browser-"))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'callintake.db'}",
            "OPENAI_BASE_URL": f"{fake_server.http_url}/v1",
            "OPENAI_API_KEY": OPENAI_KEY,
            "PLATFORM_ADMIN_KEY": ADMIN_KEY,
            "PORT": str(port),
        }
        env.pop("REDIS_URL", None)
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "callintake.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "main.py")],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            await _wait_http(f"{url}/readyz", 60)
            yield Stack(url, await _org_key(url), fake)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            await fake.aclose()
            shutil.rmtree(workdir, ignore_errors=True)
