// Shapes shared by the route handlers and the browser. They mirror callintake's API (app/calls/schemas.py).

export type Speaker = "caller" | "agent";

/** What /api/session hands the browser: the ephemeral secret and nothing else of the minted session. */
export interface BrowserSession {
  call_id: string;
  client_secret: { value: string; expires_at: number };
  model: string;
}

export interface TurnIn {
  speaker: Speaker;
  text: string;
  /** Per-call turn number chosen by the browser; a retried POST with the same seq is not stored twice. */
  seq?: number;
  at?: string;
}

export interface Escalation {
  category: "emergency" | "human_request";
  reason: string;
  matched: string | null;
  /** Tell the model this, now: callintake detected the cue in the caller's words. */
  instructions: string;
}

export interface TranscriptAnswer {
  accepted: number[];
  escalation: Escalation | null;
}

export interface ToolCallIn {
  name: string;
  /** The model's JSON string as it came, or an object. */
  arguments: string | Record<string, unknown>;
  /** The Realtime function call's `call_id`; makes a retried forward idempotent. */
  tool_call_id?: string;
}

export interface ToolCallAnswer {
  /** Send this back to the model as the function_call_output (JSON.stringify it). */
  output: Record<string, unknown>;
  repeated: boolean;
}

export interface CallEndIn {
  call_id: string;
  reason?: string;
}

/** The slice of the stored call that /api/calls/end returns to the browser. */
export interface CallEnded {
  call_id: string;
  status: string;
  end_reason: string | null;
  escalated: boolean;
}

/** callintake's one error shape; the route handlers answer in it too. */
export interface ApiErrorBody {
  error: { code: string; message: string; details: unknown };
}
