// Shapes shared by the route handlers and the browser. They mirror callintake's API (app/calls/schemas.py).

export type Speaker = "caller" | "agent";

/** What GET /api/call/{id} hands the browser: the server's view of the call, without its transcript. */
export interface CallState {
  call_id: string;
  /** callintake's status: active, ending, completed, abandoned or failed. */
  status: string;
  /** True while callintake still runs the call. */
  live: boolean;
  /** Set by callintake itself (it listens to the call over the sideband), never by this page. */
  escalated: boolean;
  escalation_reason: string | null;
  escalation_urgency: string | null;
  end_reason: string | null;
}

export interface CallEndIn {
  call_id: string;
  reason?: string;
}

/** The slice of the stored call that /api/call/end returns to the browser. */
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

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reasons this page ends a call with; callintake stores one on the call (at most 64 characters). */
export type EndReason =
  | "caller_hung_up"
  | "page_closed"
  | "call_refused"
  | "connect_timeout"
  | "connection_failed"
  | "connection_lost"
  | "connection_closed"
  | "data_channel_closed"
  | "client_error";
