"""The simulator's generated voice and its level meter, frame by frame (no network)."""

from __future__ import annotations

import math

import pytest
from aiortc.mediastreams import MediaStreamError

from simulator.audio import FRAME_SAMPLES, SAMPLE_RATE, AgentVoice, frame_level


async def test_voice_is_silent_until_it_speaks() -> None:
    voice = AgentVoice()
    frame = await voice.recv()
    assert (frame.samples, frame.sample_rate, frame.format.name) == (FRAME_SAMPLES, SAMPLE_RATE, "s16")
    assert frame_level(frame) == 0.0


async def test_speaking_plays_the_tone_for_that_long() -> None:
    voice = AgentVoice(tone_hz=440.0, amplitude=8000)
    await voice.recv()
    voice.speak(0.1)  # five 20 ms frames
    levels = [frame_level(await voice.recv()) for _ in range(7)]
    assert all(level == pytest.approx(8000 / math.sqrt(2), rel=0.02) for level in levels[:5])
    assert levels[5:] == [0.0, 0.0]


async def test_speaking_again_queues_after_what_is_playing() -> None:
    voice = AgentVoice()
    await voice.recv()
    voice.speak(0.04)
    voice.speak(0.04)
    levels = [frame_level(await voice.recv()) for _ in range(5)]
    assert [level > 0 for level in levels] == [True, True, True, True, False]


async def test_stopped_voice_raises_media_stream_error() -> None:
    voice = AgentVoice()
    voice.stop()
    with pytest.raises(MediaStreamError):
        await voice.recv()
