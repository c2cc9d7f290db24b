// GET /api/call/{callId}: callintake's view of the call (live or stored), for the page's status and
// escalation banner. Only the state goes to the browser, never the transcript, intake or events.
import { NextResponse } from "next/server";

import { callintake, errorResponse, isRecord, relayError } from "@/lib/callintake";
import { type CallState, UUID_RE } from "@/lib/types";

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export async function GET(_request: Request, { params }: { params: Promise<{ callId: string }> }) {
  const { callId } = await params;
  if (!UUID_RE.test(callId)) {
    return errorResponse(404, "call_not_found", "call not found");
  }
  const upstream = await callintake(`/api/calls/${callId}`, { method: "GET" });
  if (upstream.status !== 200) return relayError(upstream);
  const call: unknown = await upstream.json().catch(() => undefined);
  if (!isRecord(call)) {
    return errorResponse(502, "callintake_bad_response", "callintake answered 200 without JSON");
  }
  const state: CallState = {
    call_id: callId,
    status: String(call.status),
    live: call.live === true,
    escalated: call.escalated === true,
    escalation_reason: text(call.escalation_reason),
    escalation_urgency: text(call.escalation_urgency),
    end_reason: text(call.end_reason),
  };
  return NextResponse.json(state, { headers: { "Cache-Control": "no-store" } });
}
