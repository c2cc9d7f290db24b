// The few OpenAI Realtime (GA) events this example uses on the "oai-events" data channel, typed.
// Every other server event is ignored, never treated as an error.

export type ServerEvent =
  | { type: "conversation.item.input_audio_transcription.completed"; item_id: string; transcript: string }
  | {
      type: "response.output_audio_transcript.done";
      item_id: string;
      response_id: string;
      transcript: string;
    }
  | { type: "response.created"; response: { id: string } }
  | { type: "response.done"; response: { id: string; status: string } }
  | {
      type: "response.function_call_arguments.done";
      response_id: string;
      item_id: string;
      call_id: string;
      name: string;
      arguments: string;
    }
  | { type: "output_audio_buffer.stopped"; response_id: string }
  | { type: "error"; error: { type: string; code: string | null; message: string } };

const HANDLED = new Set<string>([
  "conversation.item.input_audio_transcription.completed",
  "response.output_audio_transcript.done",
  "response.created",
  "response.done",
  "response.function_call_arguments.done",
  "output_audio_buffer.stopped",
  "error",
]);

/** The event if it is one we handle, else null (unknown types, bad JSON). */
export function parseServerEvent(data: unknown): ServerEvent | null {
  if (typeof data !== "string") return null;
  try {
    const event: unknown = JSON.parse(data);
    if (typeof event === "object" && event !== null && HANDLED.has((event as { type?: string }).type ?? "")) {
      return event as ServerEvent;
    }
  } catch {
    // not JSON: ignore, as with unknown events
  }
  return null;
}

export type ClientEvent =
  | { type: "response.create" }
  | { type: "response.cancel" }
  | { type: "output_audio_buffer.clear" }
  | {
      type: "conversation.item.create";
      item:
        | { type: "function_call_output"; call_id: string; output: string }
        | { type: "message"; role: "system"; content: { type: "input_text"; text: string }[] };
    };
