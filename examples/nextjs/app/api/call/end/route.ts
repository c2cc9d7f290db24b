// POST /api/call/end: end the call at callintake, which stops the OpenAI side and stores the call.
// Also reached by navigator.sendBeacon when the page goes away.
import { NextResponse } from "next/server";

import { callintake, errorResponse, isRecord, readJson, relayError } from "@/lib/callintake";
import { type CallEnded, type CallEndIn, UUID_RE } from "@/lib/types";

const MAX_REASON = 64;
const REASON_RE = /^[a-z_]{1,64}$/;

export async function POST(request: Request) {
  const body = await readJson(request);
  if (!isRecord(body) || typeof body.call_id !== "string" || !UUID_RE.test(body.call_id)) {
    return errorResponse(422, "validation_error", "call_id must be a UUID", [
      { field: "call_id", message: "must be a UUID" },
    ]);
  }
  const { reason } = body;
  if (reason !== undefined && (typeof reason !== "string" || !REASON_RE.test(reason))) {
    return errorResponse(
      422,
      "validation_error",
      `reason must be lowercase letters and underscores, at most ${MAX_REASON} characters`,
    );
  }
  const forward: CallEndIn = { call_id: body.call_id, ...(reason !== undefined && { reason }) };
  const upstream = await callintake("/api/call/end", {
    method: "POST",
    body: JSON.stringify(forward),
    contentType: "application/json",
  });
  if (upstream.status !== 200) return relayError(upstream);
  const stored: unknown = await upstream.json().catch(() => undefined);
  if (!isRecord(stored)) {
    return errorResponse(502, "callintake_bad_response", "callintake answered 200 without JSON");
  }
  // The stored call carries the transcript, intake values and events; the page needs none of that.
  const ended: CallEnded = {
    call_id: String(stored.call_id),
    status: String(stored.status),
    end_reason: typeof stored.end_reason === "string" ? stored.end_reason : null,
    escalated: stored.escalated === true,
  };
  return NextResponse.json(ended, { headers: { "Cache-Control": "no-store" } });
}
