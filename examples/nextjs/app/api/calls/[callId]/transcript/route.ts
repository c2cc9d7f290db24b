// POST /api/calls/{callId}/transcript: forward transcript lines; callintake answers with any escalation.
import { errorResponse, isRecord, passThrough, postToCallintake, readJson, UUID_RE } from "@/lib/callintake";
import type { TurnIn } from "@/lib/types";

const MAX_TURNS = 50;
const MAX_TEXT = 8000;

function parseTurn(value: unknown): TurnIn | null {
  if (!isRecord(value)) return null;
  const { speaker, text, seq, at } = value;
  if (speaker !== "caller" && speaker !== "agent") return null;
  if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT) return null;
  if (seq !== undefined && (typeof seq !== "number" || !Number.isInteger(seq) || seq < 0)) return null;
  if (at !== undefined && typeof at !== "string") return null;
  // Rebuilt field by field, so nothing else the browser sent is forwarded.
  return { speaker, text, ...(seq !== undefined && { seq }), ...(at !== undefined && { at }) };
}

export async function POST(request: Request, { params }: { params: Promise<{ callId: string }> }) {
  const { callId } = await params;
  if (!UUID_RE.test(callId)) {
    return errorResponse(404, "call_not_found", "call not found");
  }
  const body = await readJson(request);
  const raw = isRecord(body) ? body.turns : undefined;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_TURNS) {
    return errorResponse(422, "validation_error", `turns must be a list of 1 to ${MAX_TURNS} turns`);
  }
  const turns = raw.map(parseTurn);
  const bad = turns.findIndex((turn) => turn === null);
  if (bad !== -1) {
    return errorResponse(
      422,
      "validation_error",
      "each turn needs speaker (caller|agent) and non-empty text",
      [{ field: `turns.${bad}`, message: "invalid turn" }],
    );
  }
  return passThrough(await postToCallintake(`/api/calls/${callId}/transcript`, { turns }));
}
