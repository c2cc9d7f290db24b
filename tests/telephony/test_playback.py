"""What the caller heard, from echoed marks: pure bookkeeping, tested directly."""

from __future__ import annotations

from app.telephony.playback import Playback, shorten


def test_marks_acknowledge_everything_before_them() -> None:
    playback = Playback()
    names = [playback.on_audio("item_a", 800) for _ in range(3)]

    playback.on_mark(names[1])

    assert names == ["item_a:800", "item_a:1600", "item_a:2400"]
    assert playback.playing and not playback.drained.is_set()
    playback.on_mark(names[2])
    assert not playback.playing and playback.drained.is_set()


def test_cut_stops_at_the_last_acknowledged_mark_never_past_what_was_sent() -> None:
    playback = Playback()
    first = playback.on_audio("item_a", 800)
    playback.on_audio("item_a", 800)
    playback.on_mark(first)

    cut, _ = playback.cut()

    assert cut is not None and (cut.item_id, cut.audio_end_ms) == ("item_a", 100)
    assert playback.on_audio("item_a", 800) is None  # a late chunk of the cut item is dropped
    assert playback.on_mark("item_a:1600") == []  # echoed because of the clear: ignored
    assert playback.cut() == (None, [])


def test_cut_of_an_item_nobody_heard_yet_truncates_at_zero() -> None:
    playback = Playback()
    playback.on_mark(playback.on_audio("item_a", 800) or "")
    playback.on_audio("item_b", 800)

    cut, _ = playback.cut()

    assert cut is not None and (cut.item_id, cut.audio_end_ms) == ("item_b", 0)


def test_transcript_is_held_until_its_audio_has_played() -> None:
    playback = Playback()
    playback.on_audio("item_a", 800)
    last = playback.on_audio("item_a", 800)

    assert playback.on_transcript("item_a", "Hello there.") is None
    assert playback.on_mark(last) == ["Hello there."]


def test_transcript_of_an_interrupted_item_is_shortened_to_what_was_heard() -> None:
    playback = Playback()
    first = playback.on_audio("item_a", 1000)
    for _ in range(3):
        playback.on_audio("item_a", 1000)
    assert playback.on_transcript("item_a", "one two three four five six seven eight") is None
    playback.on_mark(first)

    _, lines = playback.cut()

    assert lines == ["one two …"]


def test_shorten_keeps_the_share_of_words_heard() -> None:
    assert shorten("a b c d", heard=2, total=4) == "a b …"
    assert shorten("a b c d", heard=4, total=4) == "a b c d"
    assert shorten("a b c d", heard=0, total=4) == ""
