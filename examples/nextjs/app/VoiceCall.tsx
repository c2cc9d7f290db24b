"use client";

import { useEffect, useRef, useState } from "react";

import { type CallStatus, CallSession, type TranscriptLine } from "@/lib/call-session";
import type { CallState } from "@/lib/types";

const STATUS_TEXT: Record<CallStatus, string> = {
  idle: "Ready.",
  connecting: "Connecting...",
  live: "On the call. Speak when you are ready.",
  ending: "Hanging up...",
  ended: "Call ended.",
  failed: "The call failed.",
};

export default function VoiceCall() {
  const audioRef = useRef<HTMLAudioElement>(null);
  const sessionRef = useRef<CallSession | null>(null);
  const [status, setStatus] = useState<CallStatus>("idle");
  const [detail, setDetail] = useState<string | null>(null);
  const [callId, setCallId] = useState<string | null>(null);
  const [lines, setLines] = useState<TranscriptLine[]>([]);
  const [callState, setCallState] = useState<CallState | null>(null);

  // Leaving the page (client-side navigation) hangs up too.
  useEffect(() => () => void sessionRef.current?.hangUp("page_closed"), []);

  function start() {
    if (!audioRef.current) return;
    setLines([]);
    setCallState(null);
    setCallId(null);
    const session = new CallSession(audioRef.current, {
      onStatus: (next, why) => {
        setStatus(next);
        setDetail(why ?? null);
      },
      onCallId: setCallId,
      onLine: (line) => setLines((previous) => [...previous, line]),
      onState: setCallState,
    });
    sessionRef.current = session;
    void session.start();
  }

  const inCall = status === "connecting" || status === "live";
  const escalated = callState?.escalated === true;

  return (
    <section>
      {escalated && (
        <div
          role="alert"
          data-testid="escalation"
          style={{ background: "#c62828", color: "white", padding: "12px 16px", borderRadius: 6 }}
        >
          <strong>
            {callState.escalation_urgency === "emergency"
              ? "Possible emergency: if anyone is in danger, call your emergency number now."
              : "A person from the front desk will follow up on this call."}
          </strong>
          {callState.escalation_reason && <div>{callState.escalation_reason}</div>}
        </div>
      )}

      <div style={{ display: "flex", gap: 8, margin: "16px 0" }}>
        <button type="button" onClick={start} disabled={inCall || status === "ending"}>
          Start call
        </button>
        <button
          type="button"
          onClick={() => void sessionRef.current?.hangUp("caller_hung_up")}
          disabled={!inCall}
        >
          Hang up
        </button>
      </div>

      <p aria-live="polite" data-testid="call-status" data-status={status}>
        {STATUS_TEXT[status]}
        {detail && <span style={{ color: "#c62828" }}> {detail}</span>}
      </p>
      {callId && (
        <p style={{ color: "#777", fontSize: 12 }}>
          Call <code data-testid="call-id">{callId}</code>
        </p>
      )}

      <ol data-testid="transcript" style={{ listStyle: "none", padding: 0 }}>
        {lines.map((line) => (
          <li
            key={line.key}
            data-speaker={line.speaker}
            style={{ margin: "6px 0", textAlign: line.speaker === "caller" ? "right" : "left" }}
          >
            <span style={{ color: "#777", fontSize: 12 }}>{line.speaker === "caller" ? "You" : "Agent"}</span>
            <div>{line.text}</div>
          </li>
        ))}
      </ol>

      <audio ref={audioRef} autoPlay hidden />
    </section>
  );
}
