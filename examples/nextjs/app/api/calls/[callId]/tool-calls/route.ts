// POST /api/calls/{callId}/tool-calls: forward one function call of the model; callintake validates and
// applies it, and its `output` is what the browser returns to the model.
import { errorResponse, isRecord, passThrough, postToCallintake, readJson, UUID_RE } from "@/lib/callintake";
import type { ToolCallIn } from "@/lib/types";

export async function POST(request: Request, { params }: { params: Promise<{ callId: string }> }) {
  const { callId } = await params;
  if (!UUID_RE.test(callId)) {
    return errorResponse(404, "call_not_found", "call not found");
  }
  const body = await readJson(request);
  if (!isRecord(body)) {
    return errorResponse(422, "validation_error", "the body must be a JSON object");
  }
  const { name, arguments: args, tool_call_id: toolCallId } = body;
  if (typeof name !== "string" || name === "") {
    return errorResponse(422, "validation_error", "name must be a non-empty string");
  }
  if (typeof args !== "string" && !isRecord(args)) {
    return errorResponse(422, "validation_error", "arguments must be a JSON string or an object");
  }
  if (toolCallId !== undefined && typeof toolCallId !== "string") {
    return errorResponse(422, "validation_error", "tool_call_id must be a string");
  }
  const forward: ToolCallIn = {
    name,
    arguments: args,
    ...(toolCallId !== undefined && { tool_call_id: toolCallId }),
  };
  return passThrough(await postToCallintake(`/api/calls/${callId}/tool-calls`, forward));
}
