// One browser call over callintake's unified interface. The microphone goes to OpenAI Realtime over
// WebRTC, but the SDP offer goes through this app's /api/call route to callintake, which chooses the
// session and runs the call from its server over the sideband: tools, escalation, the end. The page
// holds no OpenAI credential and sends nothing on the data channel; it listens, shows, and hangs up.
// Browser-only (RTCPeerConnection); it knows nothing of React.

import { parseServerEvent, type ServerEvent } from "./realtime-events";
import type { ApiErrorBody, CallEnded, CallState, EndReason, Speaker } from "./types";

// Without candidates in the offer a peer that does not trickle ICE (callintake's WebRTC simulator,
// aiortc) cannot reach us; OpenAI accepts either. Wait this long for gathering, then send what we have.
const ICE_GATHERING_TIMEOUT_MS = 3_000;
const CONNECT_TIMEOUT_MS = 20_000;
// "disconnected" is often a blip that ICE recovers from; end the call only if it lasts.
const DISCONNECTED_GRACE_MS = 5_000;
// On hang-up, wait at most this long for the caller's last words to be transcribed before ending.
const LAST_LINE_TIMEOUT_MS = 3_000;
const POLL_INTERVAL_MS = 1_500;

export type CallStatus = "idle" | "connecting" | "live" | "ending" | "ended" | "failed";

export interface TranscriptLine {
  key: string;
  speaker: Speaker;
  text: string;
}

export interface CallCallbacks {
  onStatus(status: CallStatus, detail?: string): void;
  onCallId(callId: string): void;
  onLine(line: TranscriptLine): void;
  /** callintake's view of the call: its escalation, and whether it is still live. */
  onState(state: CallState): void;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.error.message);
  }
}

async function apiError(response: Response): Promise<ApiError> {
  const data: unknown = await response.json().catch(() => null);
  const body: ApiErrorBody =
    typeof data === "object" && data !== null && "error" in data
      ? (data as ApiErrorBody)
      : { error: { code: `http_${response.status}`, message: "request failed", details: null } };
  return new ApiError(response.status, body);
}

function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "NotAllowedError") {
    return "microphone permission was denied";
  }
  return error instanceof Error ? error.message : String(error);
}

function iceGatheringDone(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class CallSession {
  private callId: string | null = null;
  private pc: RTCPeerConnection | null = null;
  private channel: RTCDataChannel | null = null;
  private mic: MediaStream | null = null;
  private finished = false;
  /** Set when hangUp ran before callintake told us the call id: start() ends the call once it knows. */
  private endOwed: EndReason | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private disconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  // What the caller said that is not transcribed yet, so a hang-up does not cut off the last line.
  private callerSpeaking = false;
  private readonly untranscribed = new Set<string>();
  private readonly shown = new Set<string>();

  constructor(
    private readonly audio: HTMLAudioElement,
    private readonly callbacks: CallCallbacks,
  ) {}

  async start(): Promise<void> {
    this.callbacks.onStatus("connecting");
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      if (this.finished) return this.release();

      const pc = new RTCPeerConnection();
      this.pc = pc;
      pc.ontrack = (event) => {
        this.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      };
      pc.onconnectionstatechange = () => this.onConnectionState(pc.connectionState);
      for (const track of this.mic.getTracks()) pc.addTrack(track, this.mic);

      const channel = pc.createDataChannel("oai-events");
      this.channel = channel;
      channel.onmessage = (message: MessageEvent) => {
        const event = parseServerEvent(message.data);
        if (event) this.handle(event);
      };
      channel.onclose = () => void this.hangUp("data_channel_closed", "the call's data channel closed");

      await pc.setLocalDescription(await pc.createOffer());
      await iceGatheringDone(pc, ICE_GATHERING_TIMEOUT_MS);
      const response = await fetch("/api/call", {
        method: "POST",
        body: pc.localDescription?.sdp ?? "",
        headers: { "Content-Type": "application/sdp" },
      });
      // Even a refusal can name a call (OpenAI refused after callintake started it): it is ended too.
      this.learnCallId(response.headers.get("X-Call-Id"));
      if (this.finished) {
        // Hung up while the offer was on its way: end the call that callintake just started.
        if (this.callId && this.endOwed) await this.endAtCallintake(this.endOwed);
        return;
      }
      window.addEventListener("pagehide", this.onPageHide);
      if (response.status !== 201) {
        const error = await apiError(response);
        return await this.hangUp("call_refused", `the call was refused: ${error.message}`);
      }
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      this.connectTimer = setTimeout(
        () => void this.hangUp("connect_timeout", "the audio connection did not come up"),
        CONNECT_TIMEOUT_MS,
      );
      this.schedulePoll();
    } catch (error) {
      await this.hangUp("client_error", describe(error));
    }
  }

  /**
   * End the call. The microphone stops at once; the caller's last words are given a moment to be
   * transcribed (callintake hears the same events on its sideband), then callintake ends the call and
   * stores it, and only then is WebRTC closed. Safe to call twice; every failure path ends here, and
   * ends the call at callintake whatever went wrong before.
   */
  async hangUp(reason: EndReason, failure?: string): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    window.removeEventListener("pagehide", this.onPageHide);
    this.callbacks.onStatus("ending");
    this.mic?.getTracks().forEach((track) => track.stop());
    let problem = failure;
    if (this.callId) {
      if (reason === "caller_hung_up") await this.lastLineTranscribed(LAST_LINE_TIMEOUT_MS);
      const outcome = await this.endAtCallintake(reason);
      // A connection that closed because callintake ended the call (the agent's goodbye) is no failure.
      if (outcome === "already_ended" && reason !== "call_refused") problem = undefined;
      else if (outcome !== "ended" && outcome !== "already_ended") problem ??= outcome;
    } else {
      this.endOwed = reason;
    }
    this.release();
    this.callbacks.onStatus(problem ? "failed" : "ended", problem);
  }

  private release(): void {
    this.clearTimers();
    if (this.channel) this.channel.onclose = null;
    this.channel?.close();
    this.pc?.close();
    this.mic?.getTracks().forEach((track) => track.stop());
    this.audio.srcObject = null;
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.disconnectTimer);
    clearTimeout(this.pollTimer);
  }

  private learnCallId(callId: string | null): void {
    if (!callId || this.callId) return;
    this.callId = callId;
    this.callbacks.onCallId(callId);
  }

  private onConnectionState(state: RTCPeerConnectionState): void {
    if (this.finished) return;
    switch (state) {
      case "connected":
        clearTimeout(this.connectTimer);
        clearTimeout(this.disconnectTimer);
        this.callbacks.onStatus("live");
        return;
      case "disconnected":
        clearTimeout(this.disconnectTimer);
        this.disconnectTimer = setTimeout(
          () => void this.hangUp("connection_lost", "the audio connection dropped"),
          DISCONNECTED_GRACE_MS,
        );
        return;
      case "failed":
        void this.hangUp("connection_failed", "the audio connection failed");
        return;
      case "closed":
        void this.hangUp("connection_closed", "the audio connection closed");
        return;
    }
  }

  /**
   * POST /api/call/end. "already_ended" (a 404 or 409) means callintake ended the call first, say after
   * the agent's end_call; any other answer but "ended" says what went wrong. One retry for an outage.
   */
  private async endAtCallintake(reason: EndReason): Promise<"ended" | "already_ended" | string> {
    const body = JSON.stringify({ call_id: this.callId, reason });
    for (let attempt = 0; ; attempt += 1) {
      try {
        const response = await fetch("/api/call/end", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
        if (response.ok) {
          // Ending an ended call answers the stored call; its end reason tells whose end came first.
          const ended = (await response.json()) as CallEnded;
          return ended.end_reason && ended.end_reason !== reason ? "already_ended" : "ended";
        }
        if (response.status === 404 || response.status === 409) return "already_ended";
        const error = await apiError(response);
        if (response.status < 500 || attempt > 0) return `the call was not saved: ${error.message}`;
      } catch (error) {
        if (attempt > 0) return `the call was not saved: ${describe(error)}`;
      }
      await sleep(1_000);
    }
  }

  private readonly onPageHide = () => {
    // The page is going away and fetch may not finish; a beacon still reaches /api/call/end.
    if (this.finished || !this.callId) return;
    this.finished = true;
    const body = JSON.stringify({ call_id: this.callId, reason: "page_closed" });
    navigator.sendBeacon("/api/call/end", new Blob([body], { type: "application/json" }));
  };

  /** Resolves when nothing the caller said is waiting for its transcript, or after timeoutMs. */
  private async lastLineTranscribed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.callerSpeaking || this.untranscribed.size > 0) && Date.now() < deadline) {
      if (this.channel?.readyState !== "open") return;
      await sleep(100);
    }
  }

  private schedulePoll(): void {
    this.pollTimer = setTimeout(() => void this.poll(), POLL_INTERVAL_MS);
  }

  /** callintake escalates and ends calls itself; this is how the page learns of it. */
  private async poll(): Promise<void> {
    if (this.finished || !this.callId) return;
    try {
      const response = await fetch(`/api/call/${this.callId}`, { cache: "no-store" });
      if (response.status === 404) {
        this.endedByCallintake();
        return;
      }
      if (response.ok) {
        const state = (await response.json()) as CallState;
        this.callbacks.onState(state);
        // "ending" is not the end yet: the agent may still be saying goodbye, so keep listening.
        if (!state.live || (state.status !== "active" && state.status !== "ending")) {
          this.endedByCallintake();
          return;
        }
      }
    } catch {
      // a missed poll is not a failure; the next one will tell
    }
    if (!this.finished) this.schedulePoll();
  }

  /** callintake ended the call (the agent said goodbye, or it was swept): close our side only. */
  private endedByCallintake(): void {
    if (this.finished) return;
    this.finished = true;
    window.removeEventListener("pagehide", this.onPageHide);
    this.release();
    this.callbacks.onStatus("ended");
  }

  private handle(event: ServerEvent): void {
    switch (event.type) {
      case "input_audio_buffer.speech_started":
        this.callerSpeaking = true;
        return;
      case "input_audio_buffer.speech_stopped":
        this.callerSpeaking = false;
        return;
      case "input_audio_buffer.committed":
        this.callerSpeaking = false;
        this.untranscribed.add(event.item_id);
        return;
      case "conversation.item.input_audio_transcription.completed":
        this.untranscribed.delete(event.item_id);
        return this.show(event.item_id, "caller", event.transcript);
      case "conversation.item.input_audio_transcription.failed":
        this.untranscribed.delete(event.item_id);
        return;
      case "response.output_audio_transcript.done":
        return this.show(event.item_id, "agent", event.transcript);
      case "error":
        // The page sends no events, so an error is about callintake's own (sideband) events and is
        // callintake's to handle. Logged by code only: messages can quote what the caller said.
        console.warn("realtime error", event.error.code ?? event.error.type);
        return;
    }
  }

  private show(itemId: string, speaker: Speaker, transcript: string): void {
    const text = transcript.trim();
    const key = `${speaker}:${itemId}`;
    if (!text || this.shown.has(key)) return;
    this.shown.add(key);
    this.callbacks.onLine({ key, speaker, text });
  }
}
