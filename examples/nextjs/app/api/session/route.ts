// POST /api/session: start a call at callintake and hand the browser only what WebRTC needs.
import { NextResponse } from "next/server";

import { errorResponse, isRecord, passThrough, postToCallintake, readJson, UUID_RE } from "@/lib/callintake";
import type { BrowserSession } from "@/lib/types";

export async function POST(request: Request) {
  // An empty body starts a new call; {"call_id"} mints a fresh secret for a call that is still live
  // (say the first WebRTC attempt failed), so the transcript stays in one call.
  const body = (await readJson(request)) ?? {};
  if (!isRecord(body)) {
    return errorResponse(422, "validation_error", "the body must be a JSON object");
  }
  const callId = body.call_id;
  if (callId !== undefined && (typeof callId !== "string" || !UUID_RE.test(callId))) {
    return errorResponse(422, "validation_error", "call_id must be a UUID", [
      { field: "call_id", message: "must be a UUID" },
    ]);
  }
  const upstream = await postToCallintake(
    "/api/realtime/session",
    callId ? { call_id: callId } : { metadata: { source: "nextjs-example" } },
  );
  if (upstream.status !== 201 || !isRecord(upstream.body)) {
    return passThrough(upstream);
  }
  // callintake also returns the effective `session` (instructions, tools); the browser does not need it
  // from us, so it is dropped here rather than passed along by habit.
  const minted = upstream.body as unknown as BrowserSession;
  const session: BrowserSession = {
    call_id: minted.call_id,
    client_secret: { value: minted.client_secret.value, expires_at: minted.client_secret.expires_at },
    model: minted.model,
  };
  return NextResponse.json(session, { status: 201, headers: { "Cache-Control": "no-store" } });
}
