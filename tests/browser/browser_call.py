"""Drive examples/nextjs in a real Chromium with fake media, against callintake's simulator.

    .venv/bin/python -m tests.browser.browser_call --stack         # callintake + fake + simulator + page
    .venv/bin/python -m tests.browser.browser_call --stub          # the page + the WebRTC simulator only
    .venv/bin/python -m tests.browser.browser_call --callintake-url http://127.0.0.1:8000 --api-key cik_...

Not part of `make test`: it needs Debian's /usr/bin/chromium, Playwright for Python
(`pip install -r tests/browser/requirements.txt`; it never downloads a browser, and nothing here runs
`playwright install`) and a built example (`npm ci && npx next build` in examples/nextjs). It installs
nothing itself. Screenshots of each step go to .ci/artifacts/browser/ (git-ignored).

`--stack` starts callintake itself (main.py, embedded SQLite, in a temporary directory) on the fake
OpenAI Realtime in its WebRTC mode (tests/fakes/openai_realtime.py `WebRTCMode`: the simulator answers
/v1/realtime/calls, says an emergency line, and the agent's end_call follows the escalation), and checks
the stored call too; a second call is refused by the fake and must not stay live at callintake.
`--stub` answers the page's route handlers with
tests/browser/stub_callintake.py instead: it checks the page's failure paths, not callintake. With
neither, the harness drives a running callintake and checks only what the page shows.
Exit code 0 when every step passed, 1 when one failed, 2 when something it needs is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "nextjs"
ARTIFACTS = ROOT / ".ci" / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--no-sandbox",
    "--headless",
    # The simulator answers on 127.0.0.1 only; Chromium leaves loopback out of ICE without this.
    "--allow-loopback-in-peer-connection",
]
STEP_TIMEOUT_MS = 20_000


class Missing(Exception):
    """Something the harness needs is not on this machine."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_http(url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code < 500:
                    return
            await asyncio.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")


@contextlib.asynccontextmanager
async def next_app(callintake_url: str, api_key: str) -> AsyncIterator[str]:
    if not (EXAMPLE / ".next" / "BUILD_ID").exists():
        raise Missing("examples/nextjs is not built: run `npm ci && npx next build` there")
    port = _free_port()
    env = {
        **os.environ,
        "CALLINTAKE_URL": callintake_url,
        "CALLINTAKE_API_KEY": api_key,
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "next.log").open("ab") as log:
        # Its own process group: npx starts next-server as a child, and both must go at the end.
        process = subprocess.Popen(
            ["npx", "next", "start", "-H", "127.0.0.1", "-p", str(port)],
            cwd=EXAMPLE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_http(url, 60)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def stub_callintake(mode: str) -> AsyncIterator[Any]:
    from tests.browser.stub_callintake import StubCallintake
    from tests.fakes.server import serve

    stub = StubCallintake(mode)
    async with serve(stub.app) as server:
        stub.url = server.http_url
        try:
            yield stub
        finally:
            await stub.sim.close()


class Run:
    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.steps: list[tuple[str, bool, str]] = []

    async def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{len(self.steps):02d}-{step}.png"))

    async def step(self, step: str, check: Any) -> bool:
        try:
            await check()
            self.steps.append((step, True, ""))
            ok = True
        except Exception as exc:
            self.steps.append((step, False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"))
            ok = False
        await self.shot(step)
        return ok

    def report(self) -> bool:
        for step, ok, why in self.steps:
            print(f"{self.name}: {'ok  ' if ok else 'FAIL'} {step}{'  ' + why if why else ''}")
        return all(ok for _, ok, _ in self.steps)


async def _status(page: Any, status: str) -> None:
    await page.wait_for_selector(
        f'[data-testid="call-status"][data-status="{status}"]', timeout=STEP_TIMEOUT_MS
    )


async def call_and_hang_up(browser: Any, url: str, stub: Any | None) -> bool:
    """A call that connects, shows the scripted caller's emergency and the banner, and is hung up."""
    page = await browser.new_page()
    run = Run(page, "call")
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())
    await run.step("webrtc connects", lambda: _status(page, "live"))
    await run.step(
        "caller line shown",
        lambda: page.wait_for_selector('[data-speaker="caller"]', timeout=STEP_TIMEOUT_MS),
    )
    await run.step(
        "escalation banner",
        lambda: page.wait_for_selector('[data-testid="escalation"]', timeout=STEP_TIMEOUT_MS),
    )
    if stub is not None:
        await run.step(
            "agent line shown",
            lambda: page.wait_for_selector('[data-speaker="agent"]', timeout=STEP_TIMEOUT_MS),
        )
    await run.step("hang up", lambda: page.get_by_role("button", name="Hang up").click())
    await run.step("call ended", lambda: _status(page, "ended"))
    if stub is not None:

        async def ended_at_callintake() -> None:
            assert [end.get("reason") for end in stub.ends] == ["caller_hung_up"], stub.ends
            assert stub.sim.calls == {}, "the simulated WebRTC call is still open"

        await run.step("ended at callintake", ended_at_callintake)
    await page.close()
    return run.report()


async def agent_ends_the_call(browser: Any, url: str, stack: Any) -> bool:
    """The whole stack: the simulator's caller says an emergency line, callintake escalates over the
    sideband, the agent's end_call ends the call, and the stored call has the transcript."""
    from tests.browser.stack import CALLER_LINE

    page = await browser.new_page()
    run = Run(page, "stack")
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())

    async def webrtc_connected() -> None:
        await _status(page, "live")
        states = [peer.connection_state for peer in stack.webrtc.calls.values()]
        assert states == ["connected"], states

    await run.step("webrtc connects to the simulator", webrtc_connected)

    async def emergency_line_shown() -> None:
        line = page.locator('[data-speaker="caller"]', has_text=CALLER_LINE)
        await line.first.wait_for(timeout=STEP_TIMEOUT_MS)

    await run.step("caller says an emergency line", emergency_line_shown)
    await run.step(
        "escalation shown",
        lambda: page.wait_for_selector('[data-testid="escalation"]', timeout=STEP_TIMEOUT_MS),
    )
    call_id = ""

    async def ended_by_agent() -> None:
        nonlocal call_id
        call_id = await page.inner_text('[data-testid="call-id"]')
        await _status(page, "ended")  # nobody pressed "Hang up"
        assert stack.fake.hangups, "callintake never hung the call up at OpenAI"

    await run.step("agent's end_call ends the call", ended_by_agent)

    async def persisted() -> None:
        call: dict[str, Any] = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # finalize runs just after the end
            call = await stack.get_call(call_id)
            if not call["live"] and call["status"] != "ending":
                break
            await asyncio.sleep(0.25)
        got = (call["status"], call["live"], call["end_reason"], call["escalated"])
        assert got == ("completed", False, "agent_end_call", True), got
        callers = [turn["text"] for turn in call["transcript"] if turn["speaker"] == "caller"]
        agents = [turn["text"] for turn in call["transcript"] if turn["speaker"] == "agent"]
        assert callers == [CALLER_LINE], "the caller's line is not (only once) in the transcript"
        assert agents, "no agent line in the transcript"
        assert stack.webrtc.calls == {}, "the simulated WebRTC call is still open"

    await run.step("call persisted with its transcript", persisted)
    await page.close()
    return run.report()


async def refused_call_ends_at_callintake(browser: Any, url: str, stack: Any) -> bool:
    """The whole stack: OpenAI refuses the call; nothing stays live at callintake."""
    page = await browser.new_page()
    run = Run(page, "stack-refused")
    before = {call["call_id"] for call in await stack.list_calls()}
    stack.fake.fail_next(400, {"error": {"message": "refused (fake)", "code": "invalid_offer"}})
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())
    await run.step("page reports the refusal", lambda: _status(page, "failed"))

    async def nothing_live() -> None:
        calls = [call for call in await stack.list_calls() if call["call_id"] not in before]
        live = [call["status"] for call in calls if call["status"] in ("active", "ending")]
        assert not live, live
        assert stack.webrtc.calls == {}, "a simulated WebRTC call is open"

    await run.step("refused call ended at callintake", nothing_live)
    await page.close()
    return run.report()


async def dropped_call_is_ended(browser: Any, url: str, stub: Any) -> bool:
    """The media side drops mid-call: the page must end the call at callintake by itself."""
    page = await browser.new_page()
    run = Run(page, "dropped")
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())
    await run.step("webrtc connects", lambda: _status(page, "live"))
    await run.step("page reports the failure", lambda: _status(page, "failed"))

    async def ended_at_callintake() -> None:
        reasons = [end.get("reason") for end in stub.ends]
        assert len(reasons) == 1, reasons
        assert reasons[0] in {
            "data_channel_closed",
            "connection_closed",
            "connection_failed",
            "connection_lost",
        }

    await run.step("ended at callintake", ended_at_callintake)
    await page.close()
    return run.report()


async def refused_call_is_ended(browser: Any, url: str, stub: Any) -> bool:
    """callintake started the call but the offer was refused: the page ends that call."""
    page = await browser.new_page()
    run = Run(page, "refused")
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())
    await run.step("page reports the refusal", lambda: _status(page, "failed"))

    async def ended_at_callintake() -> None:
        assert [end.get("reason") for end in stub.ends] == ["call_refused"], stub.ends

    await run.step("ended at callintake", ended_at_callintake)
    await page.close()
    return run.report()


async def hang_up_keeps_the_last_line(browser: Any, url: str, stub: Any) -> bool:
    """Hang up while the caller's last words are still being transcribed: the line must be kept."""
    from tests.browser.stub_callintake import LAST_LINE

    page = await browser.new_page()
    run = Run(page, "last-line")
    await run.step("page loads", lambda: page.goto(url))
    await run.step("start call", lambda: page.get_by_role("button", name="Start call").click())
    await run.step("webrtc connects", lambda: _status(page, "live"))

    async def hang_up_mid_line() -> None:
        await asyncio.sleep(1.6)  # the caller started at 1.0 s; the transcript comes at 3.0 s
        await page.get_by_role("button", name="Hang up").click()

    await run.step("hang up while the caller speaks", hang_up_mid_line)
    await run.step("call ended", lambda: _status(page, "ended"))

    async def line_kept() -> None:
        (call,) = stub.calls.values()
        assert call.caller_lines == [LAST_LINE], call.caller_lines
        assert call.end_reason == "caller_hung_up", call.end_reason

    await run.step("last line kept at callintake", line_kept)
    await page.close()
    return run.report()


async def main_async(args: argparse.Namespace) -> int:
    if not Path(CHROMIUM).exists():
        raise Missing(f"{CHROMIUM} is missing: apt-get install chromium")
    if shutil.which("npx") is None:
        raise Missing("npx is missing: the example needs Node.js 20")
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise Missing(
            "Playwright for Python is missing: pip install -r tests/browser/requirements.txt"
        ) from exc

    results: list[bool] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            if args.stub:
                from tests.browser.stub_callintake import STUB_KEY

                scenarios = {
                    "call": call_and_hang_up,
                    "drop": dropped_call_is_ended,
                    "refuse": refused_call_is_ended,
                    "last_line": hang_up_keeps_the_last_line,
                }
                for mode, scenario in scenarios.items():
                    if args.only and mode not in args.only:
                        continue
                    async with stub_callintake(mode) as stub, next_app(stub.url, STUB_KEY) as url:
                        results.append(await scenario(browser, url, stub))
            elif args.stack:
                from tests.browser.stack import running_stack

                async with (
                    running_stack(_free_port(), ARTIFACTS) as stack,
                    next_app(stack.callintake_url, stack.api_key) as url,
                ):
                    results.append(await agent_ends_the_call(browser, url, stack))
                    results.append(await refused_call_ends_at_callintake(browser, url, stack))
            else:
                async with next_app(args.callintake_url, args.api_key) as url:
                    results.append(await call_and_hang_up(browser, url, None))
        finally:
            await browser.close()
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stub", action="store_true", help="answer with the stub callintake + the simulator")
    parser.add_argument(
        "--stack", action="store_true", help="start callintake (embedded) and the fake with the simulator"
    )
    parser.add_argument("--only", action="append", help="with --stub: run only this scenario (repeatable)")
    parser.add_argument("--callintake-url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", default=os.environ.get("CALLINTAKE_API_KEY", ""))
    args = parser.parse_args(argv)
    if not (args.stub or args.stack) and not args.api_key:
        parser.error("--api-key (or CALLINTAKE_API_KEY) is needed without --stub")
    try:
        return asyncio.run(main_async(args))
    except Missing as exc:
        print(f"browser harness: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
