// POST /api/call: the browser's SDP offer goes to callintake's unified interface (POST /api/realtime/calls)
// with the org key; the browser gets back only the SDP answer and the call id. callintake holds the OpenAI
// key, chooses the session and runs the call from its server; nothing here or in the browser does.
import { callintake, errorResponse, relayError } from "@/lib/callintake";
import { UUID_RE } from "@/lib/types";

const MAX_SDP_BYTES = 64 * 1024; // callintake's own limit; refusing here saves a round trip
const MAX_NAME = 200;
const E164_RE = /^\+[1-9][0-9]{6,14}$/;

export async function POST(request: Request) {
  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/sdp") {
    return errorResponse(415, "unsupported_media_type", "the body must be an SDP offer (application/sdp)");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_SDP_BYTES) {
    return errorResponse(413, "payload_too_large", `the SDP offer is over ${MAX_SDP_BYTES} bytes`);
  }
  const offer = await request.text();
  if (new TextEncoder().encode(offer).length > MAX_SDP_BYTES) {
    return errorResponse(413, "payload_too_large", `the SDP offer is over ${MAX_SDP_BYTES} bytes`);
  }
  if (!offer.startsWith("v=0")) {
    return errorResponse(422, "validation_error", "the body is not an SDP offer");
  }

  // ?call_id= resumes a call that is still live at callintake (a new peer connection, the same call).
  const callId = new URL(request.url).searchParams.get("call_id");
  if (callId !== null && !UUID_RE.test(callId)) {
    return errorResponse(422, "validation_error", "call_id must be a UUID", [
      { field: "call_id", message: "must be a UUID" },
    ]);
  }
  const headers: Record<string, string> = {};
  const name = request.headers.get("x-caller-name");
  if (name !== null && name.trim() !== "" && name.length <= MAX_NAME) headers["X-Caller-Name"] = name.trim();
  const phone = request.headers.get("x-caller-phone");
  if (phone !== null && E164_RE.test(phone)) headers["X-Caller-Phone"] = phone;

  const query = callId ? `?call_id=${encodeURIComponent(callId)}` : "";
  const upstream = await callintake(`/api/realtime/calls${query}`, {
    method: "POST",
    body: offer,
    contentType: "application/sdp",
    headers,
  });
  const answeredCallId = upstream.headers.get("x-call-id");
  if (upstream.status !== 201) {
    // A refusal can name the call callintake had started; the page ends it rather than leave it live.
    const refused = await relayError(upstream);
    if (answeredCallId && UUID_RE.test(answeredCallId)) refused.headers.set("X-Call-Id", answeredCallId);
    return refused;
  }
  if (!answeredCallId || !UUID_RE.test(answeredCallId)) {
    return errorResponse(502, "callintake_bad_response", "callintake answered without a call id");
  }
  return new Response(await upstream.text(), {
    status: 201,
    headers: {
      "Content-Type": "application/sdp",
      "Cache-Control": "no-store",
      "X-Call-Id": answeredCallId,
    },
  });
}
