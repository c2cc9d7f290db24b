// The few OpenAI Realtime (GA) server events this page listens to on the "oai-events" data channel.
// The page only displays; callintake answers tool calls and escalates over its sideband. Function-call
// events are deliberately not in this list: acting on them here would run a tool twice, or run one
// from a response that was cancelled. Every other event is ignored, never treated as an error.

export type ServerEvent =
  | { type: "input_audio_buffer.speech_started"; item_id: string }
  | { type: "input_audio_buffer.speech_stopped"; item_id: string }
  | { type: "input_audio_buffer.committed"; item_id: string }
  | { type: "conversation.item.input_audio_transcription.completed"; item_id: string; transcript: string }
  | { type: "conversation.item.input_audio_transcription.failed"; item_id: string }
  | {
      type: "response.output_audio_transcript.done";
      item_id: string;
      response_id: string;
      transcript: string;
    }
  | { type: "error"; error: { type: string; code: string | null; message: string } };

const HANDLED = new Set<string>([
  "input_audio_buffer.speech_started",
  "input_audio_buffer.speech_stopped",
  "input_audio_buffer.committed",
  "conversation.item.input_audio_transcription.completed",
  "conversation.item.input_audio_transcription.failed",
  "response.output_audio_transcript.done",
  "error",
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The event if it is one we handle and has the fields we read, else null (unknown types, bad JSON). */
export function parseServerEvent(data: unknown): ServerEvent | null {
  if (typeof data !== "string") return null;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return null; // not JSON: ignored, as unknown events are
  }
  if (!isRecord(event) || typeof event.type !== "string" || !HANDLED.has(event.type)) return null;
  if (event.type === "error") return isRecord(event.error) ? (event as ServerEvent) : null;
  if (typeof event.item_id !== "string") return null;
  if (event.type.endsWith(".completed") || event.type.endsWith("transcript.done")) {
    if (typeof event.transcript !== "string") return null;
  }
  return event as ServerEvent;
}
