"""The browser call flows, step by step, against a running callintake, without a browser or OpenAI audio.

Two paths (--path):
- `unified` (recommended): the browser POSTs its WebRTC SDP offer to POST /api/realtime/calls and gets
  the answer SDP back. The server runs the call over a sideband: transcripts, detection, tools and the
  end all happen server-side, and the browser holds no OpenAI credential. Here a fixed SDP offer
  stands in for the browser's; the script then reads the live call and hangs up.
- `mint` (compatibility, the default): what a frontend does around a WebRTC session it runs itself
  (see examples/nextjs): mint a client secret, forward transcript lines and the model's tool calls,
  end the call, then read the stored call back. This path trusts what the browser forwards.

    CALLINTAKE_API_KEY=cik_... python examples/realtime_integration_example.py
    CALLINTAKE_API_KEY=cik_... python examples/realtime_integration_example.py --path unified
    python examples/realtime_integration_example.py --url http://127.0.0.1:8000 --api-key cik_...

The key needs the scopes sessions:create, calls:write and calls:read. complete_intake is sent with the
demo org's intake fields (caller_name, callback_phone, reason, visit_type); for an org with other
fields pass their values as JSON: --fields '{"patient_name": "Ana", "dob": "1990-01-31"}'.
Try --caller-line "Can I talk to a person please?" to see the server's escalation answer.

Exit codes: 0 done, 1 the API answered with an error (its code is printed) or was unreachable,
2 bad arguments. Nothing secret is printed: the ephemeral client secret is shown by prefix only,
and intake values (caller names, phone numbers) are not shown at all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
DEMO_FIELDS: dict[str, Any] = {
    "caller_name": "Ana Diaz",
    "callback_phone": "+15555550123",
    "reason": "Book a cleaning next week",
    "visit_type": "new",
}
GREETING = "Thanks for calling. How can I help you today?"
DEFAULT_CALLER_LINE = "Hi, I'd like to book a cleaning for next week."
# The server's escalation category -> the urgency escalate_call takes.
ESCALATION_URGENCY = {"emergency": "emergency", "human_request": "urgent"}
# What a browser's RTCPeerConnection.createOffer() gives (trimmed): the server only forwards it.
EXAMPLE_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=mid:0",
        "a=sendrecv",
        "a=rtpmap:111 opus/48000/2",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sctp-port:5000",
        "",
    ]
)


class ApiError(Exception):
    """A non-2xx answer, read from callintake's error shape {"error": {code, message, details}}."""

    def __init__(self, method: str, path: str, status: int, code: str, message: str, details: Any) -> None:
        super().__init__(f"{method} {path} -> {status} {code}: {message}")
        self.status = status
        self.code = code
        self.details = details


class Callintake:
    """The handful of callintake routes a browser integration uses, with one org API key."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout
        )

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body)
        if response.is_success:
            data: dict[str, Any] = response.json()
            return data
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: httpx.Response) -> ApiError:
        try:
            error = response.json()["error"]
            code, message, details = error["code"], error["message"], error.get("details")
        except (ValueError, KeyError, TypeError):
            code, message, details = "unexpected_response", response.text[:200], None
        return ApiError(method, path, response.status_code, code, message, details)

    def start_webrtc_call(self, offer: str, *, caller_name: str | None = None) -> tuple[str, str]:
        """POST the SDP offer; returns (call id, answer SDP) for the browser's setRemoteDescription."""
        headers = {"Content-Type": "application/sdp"}
        if caller_name:
            headers["X-Caller-Name"] = caller_name
        response = self._http.post("/api/realtime/calls", content=offer.encode(), headers=headers)
        if response.status_code != 201:
            raise self._error("POST", "/api/realtime/calls", response)
        return response.headers["X-Call-Id"], response.text

    def mint_session(self, metadata: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/api/realtime/session", {"metadata": metadata})

    def append_transcript(self, call_id: str, turns: list[dict[str, Any]]) -> dict[str, Any]:
        return self._request("POST", f"/api/calls/{call_id}/transcript", {"turns": turns})

    def tool_call(self, call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        # In a real session tool_call_id is the `call_id` OpenAI put on the function call; sending it
        # makes a retried forward return the first answer instead of applying the tool twice.
        body = {"name": name, "arguments": arguments, "tool_call_id": f"call_{secrets.token_hex(8)}"}
        return self._request("POST", f"/api/calls/{call_id}/tool-calls", body)

    def end_call(self, call_id: str, reason: str | None = None) -> dict[str, Any]:
        # No reason: the server keeps the one end_call recorded ("agent_end_call").
        body = {"call_id": call_id} if reason is None else {"call_id": call_id, "reason": reason}
        return self._request("POST", "/api/call/end", body)

    def get_call(self, call_id: str) -> dict[str, Any]:
        return self._request("GET", f"/api/calls/{call_id}")


def run_unified(api: Callintake, *, wait_seconds: float = 1.0) -> str:
    """The unified interface: offer in, answer out; the server runs the call. Returns the call id."""
    call_id, answer = api.start_webrtc_call(EXAMPLE_OFFER, caller_name="Example caller")
    media = [line.split(" ")[0] for line in answer.splitlines() if line.startswith("m=")]
    print(f"webrtc    call {call_id}: answer SDP of {len(answer.splitlines())} lines ({', '.join(media)})")
    print("          no OpenAI credential was handed out; the server attached its sideband to the call")
    # In a browser, the peer connection now carries the audio; the server sees transcripts and tools.
    time.sleep(wait_seconds)
    live = api.get_call(call_id)
    print(f"live      live={live['live']} events: {', '.join(event['type'] for event in live['events'])}")
    ended = api.end_call(call_id, reason="caller_hung_up")  # the browser's hang-up button
    print(f"end       status {ended['status']}, reason {ended['end_reason']}")
    summarize(api, call_id)
    return call_id


def run(api: Callintake, *, fields: dict[str, Any], caller_line: str) -> str:
    """The client-secret flow; returns the call id."""
    minted = api.mint_session({"source": "realtime_integration_example"})
    call_id: str = minted["call_id"]
    secret = minted["client_secret"]
    tools = [tool.get("name", "?") for tool in minted.get("session", {}).get("tools", [])]
    print(f"session   call {call_id}, model {minted['model']}")
    print(f"          client secret {secret['value'][:6]}... expires at {secret['expires_at']} (epoch s)")
    print(f"          tools: {', '.join(tools) or 'none'}")
    try:
        converse(api, call_id, fields=fields, caller_line=caller_line)
    except ApiError:
        # Hang up on failure, as a frontend should: the call is stored now instead of staying live
        # until the server's sweeper notices it went idle.
        with contextlib.suppress(ApiError, httpx.HTTPError):
            api.end_call(call_id, reason="client_error")
            print(f"end       call {call_id} ended after the error below", file=sys.stderr)
        raise
    summarize(api, call_id)
    return call_id


def converse(api: Callintake, call_id: str, *, fields: dict[str, Any], caller_line: str) -> None:
    """What the browser forwards while the model talks: transcript lines, then the model's tool calls."""
    answer = api.append_transcript(
        call_id, [{"speaker": "agent", "text": GREETING}, {"speaker": "caller", "text": caller_line}]
    )
    escalation = answer["escalation"]
    print(f"transcript accepted seqs {answer['accepted']}")
    if escalation is None:
        print("          escalation: none")
        arguments = {
            **fields,
            "urgency_level": "routine",
            "summary": "Test call from the callintake example.",
        }
        result = api.tool_call(call_id, "complete_intake", arguments)
        print(f"tool      complete_intake -> {json.dumps(result['output'])}")
    else:
        # A browser sends these instructions to the model; here we do what the model then does.
        print(f"          escalation: {escalation['category']} ({escalation['reason']})")
        print(f"          instructions for the agent: {escalation['instructions']}")
        urgency = ESCALATION_URGENCY[escalation["category"]]
        result = api.tool_call(call_id, "escalate_call", {"reason": escalation["reason"], "urgency": urgency})
        print(f"tool      escalate_call -> {json.dumps(result['output'])}")

    api.append_transcript(call_id, [{"speaker": "agent", "text": "Thanks for calling. Goodbye!"}])
    result = api.tool_call(call_id, "end_call", {"reason": "caller needs nothing else"})
    print(f"tool      end_call -> {json.dumps(result['output'])}")

    ended = api.end_call(call_id)
    print(f"end       status {ended['status']}, reason {ended['end_reason']}")


def summarize(api: Callintake, call_id: str) -> None:
    call = api.get_call(call_id)
    intake = call["intake"]
    print(
        f"stored    live={call['live']} status={call['status']} turns={call['turn_count']} "
        f"duration={call['duration_seconds']}s urgency={call['urgency']}"
    )
    if call["escalated"]:
        print(f"          escalated: {call['escalation_urgency']} ({call['escalation_reason']})")
    if intake is None:
        print("          intake: none")
    else:
        print(f"          intake fields: {', '.join(sorted(intake['data']))} (values not shown)")
    print(f"          events: {', '.join(event['type'] for event in call['events'])}")


def _parse_fields(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return dict(DEMO_FIELDS)
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("--fields must be a JSON object")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the browser call flow against a running callintake.",
        epilog="The key can come from CALLINTAKE_API_KEY instead of --api-key (keeps it out of ps).",
    )
    parser.add_argument("--url", default=os.environ.get("CALLINTAKE_URL", DEFAULT_URL))
    parser.add_argument("--api-key", default=os.environ.get("CALLINTAKE_API_KEY"))
    parser.add_argument("--fields", help="JSON object of the org's intake field values (default: demo org)")
    parser.add_argument("--caller-line", default=DEFAULT_CALLER_LINE, help="what the caller says (mint)")
    parser.add_argument(
        "--path",
        choices=("mint", "unified"),
        default="mint",
        help="mint: the browser runs the session (client secret); unified: the server runs it (SDP offer)",
    )
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("set CALLINTAKE_API_KEY (or pass --api-key): an org API key")
    try:
        fields = _parse_fields(args.fields)
    except ValueError as exc:
        parser.error(f"--fields: {exc}")

    api = Callintake(args.url, args.api_key)
    try:
        if args.path == "unified":
            run_unified(api)
        else:
            run(api, fields=fields, caller_line=args.caller_line)
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc.details, list):
            for detail in exc.details:
                if isinstance(detail, dict):
                    print(f"  {detail.get('field') or '(body)'}: {detail.get('message')}", file=sys.stderr)
        elif exc.details:
            print(f"  details: {json.dumps(exc.details)}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(
            f"error: could not reach callintake at {args.url}: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        return 1
    finally:
        api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
