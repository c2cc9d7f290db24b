"""The simulator's audio: the agent's "voice" (a generated tone, no model behind it) and a level meter
for what the peer sends, which triggers scripted caller lines."""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import operator
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms, what Opus carries


def _tone_table(tone_hz: float, amplitude: int) -> array.array[int]:
    # One second of tone; an integer frequency makes it loop without a click.
    step = 2 * math.pi * tone_hz / SAMPLE_RATE
    return array.array("h", (round(amplitude * math.sin(step * i)) for i in range(SAMPLE_RATE)))


def frame_level(frame: AudioFrame) -> float:
    """RMS of a packed s16 frame (what aiortc decodes Opus to), 0..32768."""
    count = frame.samples * len(frame.layout.channels)
    samples = memoryview(bytes(frame.planes[0])).cast("h")[:count]
    if count == 0:
        return 0.0
    return math.sqrt(sum(map(operator.mul, samples, samples)) / count)


class AgentVoice(MediaStreamTrack):
    """The simulator's outgoing audio: silence, and a tone while the simulated agent speaks."""

    kind = "audio"

    def __init__(self, tone_hz: float = 440.0, amplitude: int = 8000) -> None:
        super().__init__()
        self._tone = _tone_table(tone_hz, amplitude)
        self._silence = bytes(FRAME_SAMPLES * 2)
        self._pts = 0
        self._speak_until = 0
        self._start: float | None = None

    def speak(self, seconds: float) -> None:
        """Play the tone for `seconds`, after whatever is still playing."""
        following = self._pts + FRAME_SAMPLES if self._start is not None else 0  # the next frame out
        start = max(following, self._speak_until)
        self._speak_until = start + round(seconds * SAMPLE_RATE)

    @property
    def speaking(self) -> bool:
        return self._pts < self._speak_until

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += FRAME_SAMPLES
            wait = self._start + self._pts / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        if self.speaking:
            offset = self._pts % SAMPLE_RATE
            chunk = self._tone[offset : offset + FRAME_SAMPLES]
            if len(chunk) < FRAME_SAMPLES:
                chunk += self._tone[: FRAME_SAMPLES - len(chunk)]
            frame.planes[0].update(chunk.tobytes())
        else:
            frame.planes[0].update(self._silence)
        frame.pts = self._pts
        frame.sample_rate = SAMPLE_RATE
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame
