"""What the caller has actually heard of the agent, from the marks Twilio echoes as audio plays.

Each relayed audio chunk is followed by a mark named `<item_id>:<bytes of that item sent so far>`; an
echoed mark acknowledges every mark before it. After a barge-in `clear`, Twilio echoes the pending marks
at once: they are no longer pending here, so they are ignored, and late chunks of the cut item dropped.

The model streams faster than real time, so an agent line's transcript usually arrives while its audio
is still playing. It is held until its last mark comes back (the caller heard all of it) or the item is
cut (the caller heard part of it, and the line is shortened in proportion).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

BYTES_PER_MS = 8  # G.711 mu-law at 8 kHz
_KEEP_CUTS = 8


@dataclass(slots=True)
class Cut:
    item_id: str
    heard_bytes: int
    received_bytes: int  # everything the model generated for the item so far, relayed or dropped
    text_done: bool = False

    @property
    def audio_end_ms(self) -> int:
        return self.heard_bytes // BYTES_PER_MS


def shorten(transcript: str, heard: int, total: int) -> str:
    """The leading share of the words that matches the share of the audio heard ("" if none)."""
    if heard <= 0 or total <= 0:
        return ""
    words = transcript.split()
    keep = round(len(words) * min(1.0, heard / total))
    if keep >= len(words):
        return transcript
    return " ".join(words[:keep]) + " …" if keep else ""


class Playback:
    def __init__(self) -> None:
        self.item_id: str | None = None
        self.sent = 0
        self._pending: deque[str] = deque()
        self._heard_item: str | None = None
        self._heard_bytes = 0
        self._cuts: dict[str, Cut] = {}
        self._held: dict[str, str] = {}  # final mark name of an item -> its transcript
        self.drained = asyncio.Event()
        self.drained.set()

    @property
    def playing(self) -> bool:
        return bool(self._pending)

    def on_audio(self, item_id: str, nbytes: int) -> str | None:
        """The mark to send after relaying this chunk, or None if the chunk belongs to a cut item."""
        if item_id != self.item_id:
            cut = self._cuts.get(item_id)
            if cut is not None:
                cut.received_bytes += nbytes
                return None
            self.item_id, self.sent = item_id, 0
        self.sent += nbytes
        name = f"{item_id}:{self.sent}"
        self._pending.append(name)
        self.drained.clear()
        return name

    def on_mark(self, name: str) -> list[str]:
        """Acknowledge `name` and every mark before it; returns agent lines now fully heard."""
        pending = self._pending
        if name not in pending:
            return []  # echoed after a clear, or not ours
        held = self._held
        released: list[str] = []
        while True:
            popped = pending.popleft()
            if held and popped in held:
                released.append(held.pop(popped))
            if popped == name:
                break
        item_id, _, nbytes = name.rpartition(":")
        self._heard_item, self._heard_bytes = item_id, int(nbytes)
        if not pending:
            self.drained.set()
        return released

    def on_transcript(self, item_id: str, transcript: str) -> str | None:
        """The line to record now, or None while its audio is still playing (then on_mark/cut return it)."""
        cut = self._cuts.get(item_id)
        if cut is not None:
            if cut.text_done:
                return None
            cut.text_done = True
            return shorten(transcript, cut.heard_bytes, cut.received_bytes)
        if item_id == self.item_id:
            final = f"{item_id}:{self.sent}"
            if final in self._pending:
                self._held[final] = transcript
                return None
        return transcript

    def cut(self) -> tuple[Cut | None, list[str]]:
        """Stop the current item at what was heard (never more than was sent). Returns the cut (None if
        nothing is playing) and the held agent lines, the cut item's shortened."""
        if not self._pending or self.item_id is None:
            return None, []
        item_id = self.item_id
        heard = min(self._heard_bytes if self._heard_item == item_id else 0, self.sent)
        cut = Cut(item_id=item_id, heard_bytes=heard, received_bytes=self.sent)
        if len(self._cuts) >= _KEEP_CUTS:
            self._cuts.pop(next(iter(self._cuts)))
        self._cuts[item_id] = cut
        released = []
        for mark_name, transcript in self._held.items():
            if mark_name.rpartition(":")[0] == item_id:
                cut.text_done = True
                transcript = shorten(transcript, heard, self.sent)
            if transcript:
                released.append(transcript)
        self._held.clear()
        self.item_id, self.sent = None, 0
        self._pending.clear()
        self.drained.set()
        return cut, released

    def flush(self) -> list[str]:
        """At the end of the call: held lines as far as they were heard."""
        lines = []
        for mark_name, transcript in self._held.items():
            item_id, _, total = mark_name.rpartition(":")
            heard = self._heard_bytes if item_id == self._heard_item else 0
            if text := shorten(transcript, heard, int(total)):
                lines.append(text)
        self._held.clear()
        return lines
