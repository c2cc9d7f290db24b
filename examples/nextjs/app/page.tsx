import VoiceCall from "./VoiceCall";

export default function Home() {
  return (
    <main style={{ maxWidth: 640, margin: "40px auto", padding: "0 16px" }}>
      <h1 style={{ fontSize: 24 }}>Call the front desk</h1>
      <p style={{ color: "#555" }}>
        Your microphone is used for this call. The call is transcribed and stored by the business you are
        calling.
      </p>
      <VoiceCall />
    </main>
  );
}
