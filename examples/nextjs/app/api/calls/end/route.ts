// POST /api/calls/end: end the call at callintake, which stores it. Also reached by sendBeacon on page exit.
import { NextResponse } from "next/server";

import { errorResponse, isRecord, passThrough, postToCallintake, readJson, UUID_RE } from "@/lib/callintake";
import type { CallEnded, CallEndIn } from "@/lib/types";

const MAX_REASON = 64;

export async function POST(request: Request) {
  const body = await readJson(request);
  if (!isRecord(body) || typeof body.call_id !== "string" || !UUID_RE.test(body.call_id)) {
    return errorResponse(422, "validation_error", "call_id must be a UUID", [
      { field: "call_id", message: "must be a UUID" },
    ]);
  }
  const { reason } = body;
  if (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON)) {
    return errorResponse(
      422,
      "validation_error",
      `reason must be a string of at most ${MAX_REASON} characters`,
    );
  }
  const forward: CallEndIn = { call_id: body.call_id, ...(reason !== undefined && { reason }) };
  const upstream = await postToCallintake("/api/call/end", forward);
  if (upstream.status !== 200 || !isRecord(upstream.body)) {
    return passThrough(upstream);
  }
  // The stored call carries the transcript, intake values and events; the page needs none of that.
  const stored = upstream.body as unknown as CallEnded;
  const ended: CallEnded = {
    call_id: stored.call_id,
    status: stored.status,
    end_reason: stored.end_reason,
    escalated: stored.escalated,
  };
  return NextResponse.json(ended);
}
