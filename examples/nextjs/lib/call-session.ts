// One browser call: microphone -> WebRTC to OpenAI Realtime with the ephemeral secret, and every
// transcript line and tool call forwarded through this app's /api routes to callintake.
// Browser-only (RTCPeerConnection); it knows nothing of React.

import { type ClientEvent, parseServerEvent, type ServerEvent } from "./realtime-events";
import type {
  ApiErrorBody,
  BrowserSession,
  CallEnded,
  Escalation,
  Speaker,
  ToolCallAnswer,
  TranscriptAnswer,
} from "./types";

const OPENAI_CALLS_URL = "https://api.openai.com/v1/realtime/calls";
// After end_call the agent says goodbye; hang up when that audio has played, or after this long.
const GOODBYE_TIMEOUT_MS = 15_000;
// Marks a response.create we sent whose response.created has not arrived yet.
const REQUESTED = "requested";

export type CallStatus = "idle" | "connecting" | "live" | "ending" | "ended" | "failed";

export interface TranscriptLine {
  seq: number;
  speaker: Speaker;
  text: string;
}

export interface CallCallbacks {
  onStatus(status: CallStatus, detail?: string): void;
  onLine(line: TranscriptLine): void;
  onEscalation(escalation: Escalation): void;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${body.error.code}: ${body.error.message}`);
  }
}

function isErrorBody(data: unknown): data is ApiErrorBody {
  return typeof data === "object" && data !== null && "error" in data;
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error: ApiErrorBody = isErrorBody(data)
      ? data
      : { error: { code: `http_${response.status}`, message: "request failed", details: null } };
    throw new ApiError(response.status, error);
  }
  return data as T;
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "NotAllowedError") {
    return "microphone permission was denied";
  }
  return error instanceof Error ? error.message : String(error);
}

/** 404 or 409 from callintake: the call is gone (ended elsewhere, or swept after going idle). */
function callIsGone(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 409);
}

export class CallSession {
  private callId: string | null = null;
  private pc: RTCPeerConnection | null = null;
  private channel: RTCDataChannel | null = null;
  private mic: MediaStream | null = null;
  private nextSeq = 0;
  private activeResponse: string | null = null;
  private wantResponse = false;
  /** function_call_output events to send when their response is done, by response id. */
  private toolOutputs = new Map<string, Promise<ClientEvent>[]>();
  private escalated: Escalation["category"] | null = null;
  private endingAfterGoodbye = false;
  private goodbyeResponse: string | null = null;
  private goodbyeTimer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly callbacks: CallCallbacks,
  ) {}

  async start(): Promise<void> {
    this.callbacks.onStatus("connecting");
    try {
      // The microphone first: if the caller says no, no call is started at callintake.
      this.mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      if (this.finished) {
        this.mic.getTracks().forEach((track) => track.stop()); // hung up while the browser asked
        return;
      }
      const session = await postJson<BrowserSession>("/api/session", {});
      this.callId = session.call_id;
      if (this.finished) {
        // Hung up while the session was being minted: end the call that was just started.
        await this.endAtCallintake("caller_hung_up");
        return;
      }
      window.addEventListener("pagehide", this.onPageHide);

      const pc = new RTCPeerConnection();
      this.pc = pc;
      pc.ontrack = (event) => {
        this.audio.srcObject = event.streams[0] ?? null;
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "failed")
          void this.hangUp("connection_failed", "the connection to OpenAI dropped");
      };
      for (const track of this.mic.getTracks()) pc.addTrack(track, this.mic);

      const channel = pc.createDataChannel("oai-events");
      this.channel = channel;
      channel.onopen = () => this.requestResponse(); // the agent greets the caller first
      channel.onmessage = (message: MessageEvent) => {
        const event = parseServerEvent(message.data);
        if (event) void this.handle(event);
      };

      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const answer = await fetch(OPENAI_CALLS_URL, {
        method: "POST",
        body: offer.sdp,
        headers: {
          Authorization: `Bearer ${session.client_secret.value}`,
          "Content-Type": "application/sdp",
        },
      });
      if (!answer.ok) throw new Error(`OpenAI refused the call (HTTP ${answer.status})`);
      await pc.setRemoteDescription({ type: "answer", sdp: await answer.text() });
      if (!this.finished) this.callbacks.onStatus("live");
    } catch (error) {
      await this.hangUp("client_error", describe(error));
    }
  }

  /** End the call: close WebRTC, then tell callintake, which stores it. Safe to call twice. */
  async hangUp(reason?: string, failure?: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.goodbyeTimer);
    window.removeEventListener("pagehide", this.onPageHide);
    this.callbacks.onStatus("ending");
    this.channel?.close();
    this.pc?.close();
    this.mic?.getTracks().forEach((track) => track.stop());
    this.audio.srcObject = null;
    if (this.callId) failure ??= await this.endAtCallintake(reason);
    this.callbacks.onStatus(failure ? "failed" : "ended", failure);
  }

  /** POST /api/calls/end; returns what went wrong, if anything. */
  private async endAtCallintake(reason?: string): Promise<string | undefined> {
    try {
      // No reason after end_call: callintake keeps the one it recorded ("agent_end_call").
      await postJson<CallEnded>("/api/calls/end", { call_id: this.callId, ...(reason && { reason }) });
      return undefined;
    } catch (error) {
      return `the call was not saved: ${describe(error)}`;
    }
  }

  private readonly onPageHide = () => {
    // The page is going away and fetch may not finish; a beacon still reaches /api/calls/end.
    if (this.finished || !this.callId) return;
    this.finished = true;
    const body = JSON.stringify({ call_id: this.callId, reason: "page_closed" });
    navigator.sendBeacon("/api/calls/end", new Blob([body], { type: "application/json" }));
  };

  private send(event: ClientEvent): void {
    if (this.channel?.readyState === "open") this.channel.send(JSON.stringify(event));
  }

  /** response.create, unless a response is running: one at a time, so it waits for response.done. */
  private requestResponse(): void {
    if (this.activeResponse) {
      this.wantResponse = true;
      return;
    }
    this.activeResponse = REQUESTED;
    this.send({ type: "response.create" });
  }

  private async handle(event: ServerEvent): Promise<void> {
    switch (event.type) {
      case "conversation.item.input_audio_transcription.completed":
        return this.forwardLine("caller", event.transcript);
      case "response.output_audio_transcript.done":
        return this.forwardLine("agent", event.transcript);
      case "response.created":
        this.activeResponse = event.response.id;
        if (this.endingAfterGoodbye && this.goodbyeResponse === null)
          this.goodbyeResponse = event.response.id;
        return;
      case "response.function_call_arguments.done": {
        // Forward at once (callintake applies each tool_call_id once); answer the model on response.done,
        // so parallel calls in one response get one response.create.
        const outputs = this.toolOutputs.get(event.response_id) ?? [];
        outputs.push(this.runTool(event.name, event.arguments, event.call_id));
        this.toolOutputs.set(event.response_id, outputs);
        return;
      }
      case "response.done":
        return this.onResponseDone(event.response.id);
      case "output_audio_buffer.stopped":
        if (event.response_id === this.goodbyeResponse) await this.hangUp();
        return;
      case "error":
        // Most Realtime errors are recoverable and the session stays up (a refused response.create, say).
        console.warn("realtime error", event.error.code ?? event.error.type);
        if (this.activeResponse === REQUESTED) this.activeResponse = null;
        return;
    }
  }

  private async onResponseDone(responseId: string): Promise<void> {
    if (this.activeResponse === responseId || this.activeResponse === REQUESTED) this.activeResponse = null;
    const deferred = this.wantResponse;
    this.wantResponse = false;
    const pending = this.toolOutputs.get(responseId);
    if (pending) {
      this.toolOutputs.delete(responseId);
      for (const output of await Promise.all(pending)) this.send(output);
    }
    // The model does not continue by itself after a function_call_output.
    if (pending || deferred) this.requestResponse();
  }

  private async runTool(name: string, args: string, toolCallId: string): Promise<ClientEvent> {
    let output: unknown;
    try {
      const answer = await postJson<ToolCallAnswer>(`/api/calls/${this.callId}/tool-calls`, {
        name,
        arguments: args,
        tool_call_id: toolCallId,
      });
      output = answer.output;
      if (name === "end_call") this.hangUpAfterGoodbye();
    } catch (error) {
      if (callIsGone(error)) void this.hangUp();
      // The model reads why (e.g. which intake field is missing) and can ask the caller again.
      output = error instanceof ApiError ? { status: "error", error: error.body.error } : { status: "error" };
    }
    return {
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: toolCallId, output: JSON.stringify(output) },
    };
  }

  private hangUpAfterGoodbye(): void {
    this.endingAfterGoodbye = true;
    this.goodbyeTimer = setTimeout(() => void this.hangUp(), GOODBYE_TIMEOUT_MS);
  }

  private async forwardLine(speaker: Speaker, transcript: string): Promise<void> {
    const text = transcript.trim();
    if (!text || !this.callId || this.finished) return;
    const seq = this.nextSeq++;
    this.callbacks.onLine({ seq, speaker, text });
    try {
      const answer = await postJson<TranscriptAnswer>(`/api/calls/${this.callId}/transcript`, {
        turns: [{ speaker, text, seq, at: new Date().toISOString() }],
      });
      if (answer.escalation) this.escalate(answer.escalation);
    } catch (error) {
      // Never the text itself in the console: it is the caller's words.
      console.warn("transcript line not stored", describe(error));
      if (callIsGone(error)) await this.hangUp();
    }
  }

  /** callintake heard an emergency or a request for a person: make the agent act on it now. */
  private escalate(escalation: Escalation): void {
    if (this.finished || this.escalated === "emergency" || this.escalated === escalation.category) return;
    this.escalated = escalation.category;
    this.callbacks.onEscalation(escalation);
    this.send({
      type: "conversation.item.create",
      item: {
        type: "message",
        role: "system",
        content: [{ type: "input_text", text: escalation.instructions }],
      },
    });
    if (this.activeResponse && this.activeResponse !== REQUESTED) {
      // Cut the current answer off mid-sentence; the next response carries the escalation.
      this.send({ type: "response.cancel" });
      this.send({ type: "output_audio_buffer.clear" });
    }
    this.requestResponse();
  }
}
