"use client";

import { useEffect, useRef, useState } from "react";

import { type CallStatus, CallSession, type TranscriptLine } from "@/lib/call-session";
import type { Escalation } from "@/lib/types";

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
  const [lines, setLines] = useState<TranscriptLine[]>([]);
  const [escalation, setEscalation] = useState<Escalation | null>(null);

  // Leaving the page (client-side navigation) hangs up too.
  useEffect(() => () => void sessionRef.current?.hangUp("page_closed"), []);

  function start() {
    if (!audioRef.current) return;
    setLines([]);
    setEscalation(null);
    const session = new CallSession(audioRef.current, {
      onStatus: (next, why) => {
        setStatus(next);
        setDetail(why ?? null);
      },
      onLine: (line) => setLines((previous) => [...previous, line]),
      onEscalation: setEscalation,
    });
    sessionRef.current = session;
    void session.start();
  }

  const inCall = status === "connecting" || status === "live";

  return (
    <section>
      {escalation && (
        <div
          role="alert"
          style={{ background: "#c62828", color: "white", padding: "12px 16px", borderRadius: 6 }}
        >
          <strong>
            {escalation.category === "emergency" ? "Possible emergency" : "Connecting you with a person"}
          </strong>
          <div>{escalation.reason}</div>
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

      <p aria-live="polite">
        {STATUS_TEXT[status]}
        {detail && <span style={{ color: "#c62828" }}> {detail}</span>}
      </p>

      <ol style={{ listStyle: "none", padding: 0 }}>
        {lines.map((line) => (
          <li
            key={line.seq}
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
