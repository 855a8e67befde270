"""Stitching real MP4s: stream copy, re-encode, sound and silence, cross-fades."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from clips import make_clip

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.media import probe
from hailuo_nb.film.stitch import can_copy, stitch

RED, GREEN, BLUE = (200, 40, 40), (40, 200, 40), (40, 40, 200)


def packets(path, kind):
    with av.open(str(path)) as src:
        stream = getattr(src.streams, kind)[0]
        return [p for p in src.demux(stream) if p.pts is not None and p.size]


def streams(path):
    with av.open(str(path)) as src:
        return [s.type for s in src.streams]


def assert_monotonic(path):
    for kind in ("video", "audio"):
        if kind in streams(path):
            dts = [p.dts for p in packets(path, kind)]
            assert all(a < b for a, b in zip(dts, dts[1:], strict=False)), f"{kind} dts not increasing"


def sound(path):
    """The film's sound as mono float samples and their rate."""
    with av.open(str(path)) as src:
        stream = src.streams.audio[0]
        chunks = [f.to_ndarray().mean(axis=0) for f in src.decode(stream)]
        return np.concatenate(chunks), stream.sample_rate


def rms(samples, rate, start, stop):
    part = samples[int(start * rate): int(stop * rate)]
    return float(np.sqrt(np.mean(part ** 2)))


def assert_sound_length(path, seconds):
    """The audio track lasts as long as the film, to the sample (decoders pad the last frame)."""
    with av.open(str(path)) as src:
        audio = src.streams.audio[0]
        assert audio.duration * audio.time_base == pytest.approx(seconds, abs=1 / audio.sample_rate)
    samples, rate = sound(path)
    assert round(seconds * rate) <= len(samples) < round(seconds * rate) + 1024


def picture_at(path, t):
    with av.open(str(path)) as src:
        stream = src.streams.video[0]
        for frame in src.decode(stream):
            if frame.time >= t - 1e-6:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}")


def test_matching_clips_are_stream_copied(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 2, color=RED, tone=440),
             make_clip(tmp_path / "b.mp4", 3, color=GREEN, tone=660),
             make_clip(tmp_path / "c.mp4", 1.5, color=BLUE, tone=880)]
    infos = [probe(c) for c in clips]
    assert can_copy(infos)
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == "copy" and film.audio and film.size == (160, 96) and film.fps == 10
    assert film.duration == pytest.approx(6.5) and film.cuts == (0.0, 2.0, 5.0)
    # Not re-encoded: the film's video packets are the clips' packets, byte for byte.
    expected = [bytes(p) for c in clips for p in packets(c, "video")]
    assert [bytes(p) for p in packets(film.path, "video")] == expected
    # B-frames: decode order differs from presentation order, and still no dts goes back.
    assert any(p.pts != p.dts for p in packets(clips[0], "video"))
    assert_monotonic(film.path)
    assert streams(film.path) == ["video", "audio"]
    info = probe(film.path)
    assert float(info.duration) == pytest.approx(6.5)


def test_stream_copy_keeps_each_clips_sound_in_place(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 2, tone=440), make_clip(tmp_path / "b.mp4", 3),
             make_clip(tmp_path / "c.mp4", 2, tone=440)]
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == "copy"
    samples, rate = sound(film.path)
    # One track covering the whole film: the tone, silence under the silent clip, the tone.
    assert_sound_length(film.path, 7.0)
    assert rms(samples, rate, 0.1, 1.9) > 0.15
    assert rms(samples, rate, 2.1, 4.9) < 0.01
    assert rms(samples, rate, 5.1, 6.9) > 0.15


def test_no_sound_anywhere_means_no_audio_stream(tmp_path):
    clips = [make_clip(tmp_path / f"{n}.mp4", 1) for n in "ab"]
    film = stitch(clips, tmp_path / "film.mp4")
    assert not film.audio and streams(film.path) == ["video"]


def test_mismatched_sizes_are_reencoded_letterboxed(tmp_path):
    clips = [make_clip(tmp_path / "wide.mp4", 2, size=(160, 96), color=RED, tone=440),
             make_clip(tmp_path / "square.mp4", 3, size=(96, 96), color=GREEN),
             make_clip(tmp_path / "tall.mp4", 1, size=(96, 160), fps=12, color=BLUE, tone=300,
                       sample_rate=48000, layout="mono")]
    assert not can_copy([probe(c) for c in clips])
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == "encode" and film.size == (160, 96) and film.fps == 10
    info = probe(film.path)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 160, 96)
    assert float(info.duration) == pytest.approx(6.0, abs=0.1 * 2)
    assert_monotonic(film.path)
    # The square clip sits in the middle with black bars on both sides.
    square = picture_at(film.path, 3.5)
    assert square[60, 5].max() < 30 and square[60, 155].max() < 30
    assert abs(int(square[60, 80][1]) - 200) < 30
    samples, rate = sound(film.path)
    assert rate == 44100
    assert_sound_length(film.path, float(probe(film.path).duration))
    assert rms(samples, rate, 0.1, 1.9) > 0.15 and rms(samples, rate, 2.1, 4.9) < 0.01
    assert rms(samples, rate, 5.1, 5.9) > 0.1  # a mono tone, upmixed at -3 dB


def test_a_target_size_forces_encode(tmp_path):
    clips = [make_clip(tmp_path / f"{n}.mp4", 1) for n in "ab"]
    film = stitch(clips, tmp_path / "film.mp4", size=(321, 181))
    assert film.video == "encode" and film.size == (322, 182)
    assert (probe(film.path).width, probe(film.path).height) == (322, 182)


def test_cross_fade_shortens_the_film_and_blends(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 2, color=RED, tone=440),
             make_clip(tmp_path / "b.mp4", 3, color=GREEN),
             make_clip(tmp_path / "c.mp4", 2, color=BLUE, tone=440)]
    film = stitch(clips, tmp_path / "film.mp4", fade=0.5)
    assert film.video == "encode"
    assert film.duration == pytest.approx(2 + 3 + 2 - 2 * 0.5)
    assert float(probe(film.path).duration) == pytest.approx(6.0)
    assert film.cuts == (0.0, 1.5, 4.0)
    assert_monotonic(film.path)
    middle = picture_at(film.path, 1.7)[80, 80]  # inside the first fade, below the white bar
    assert 60 < middle[0] < 180 and 60 < middle[1] < 180  # part red, part green
    assert picture_at(film.path, 3.0)[80, 80].tolist() == pytest.approx(list(GREEN), abs=12)
    samples, rate = sound(film.path)
    assert_sound_length(film.path, 6.0)
    assert rms(samples, rate, 0.1, 1.4) > 0.15  # the tone
    assert 0.01 < rms(samples, rate, 1.55, 1.95) < 0.19  # fading out under the green clip
    assert rms(samples, rate, 2.1, 3.4) < 0.01  # silence
    assert rms(samples, rate, 4.6, 5.9) > 0.15


def test_a_different_frame_rate_is_retimed_not_stretched(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 2, fps=10), make_clip(tmp_path / "b.mp4", 2, fps=25)]
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == "encode" and film.fps == 10
    assert float(probe(film.path).duration) == pytest.approx(4.0, abs=0.1)
    film = stitch(clips, tmp_path / "film25.mp4", fps=25)
    assert film.fps == Fraction(25) and len(packets(film.path, "video")) == 100


@pytest.mark.parametrize("fade, clips, reason", [
    (-1, 2, "at most half"), (0.6, 2, "at most half"), (0, 0, "nothing to stitch")])
def test_bad_arguments(tmp_path, fade, clips, reason):
    paths = [make_clip(tmp_path / f"{n}.mp4", 1) for n in range(clips)]
    with pytest.raises(ValidationError, match=reason):
        stitch(paths, tmp_path / "film.mp4", fade=fade)


def test_a_failed_stitch_leaves_the_old_film_and_no_litter(tmp_path):
    good = make_clip(tmp_path / "a.mp4", 1)
    film = stitch([good], tmp_path / "film.mp4").path
    before = film.read_bytes()
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(ValidationError, match="notes.mp4") as info:
        stitch([good, bad], film)
    assert info.value.field == "clips"
    with pytest.raises(ValidationError, match="cannot be read"):
        stitch([good, tmp_path / "missing.mp4"], film)
    assert film.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "film.mp4", "notes.mp4"]


def test_the_index_is_at_the_front(tmp_path):
    clips = [make_clip(tmp_path / f"{n}.mp4", 1, tone=440) for n in "ab"]
    for film in (stitch(clips, tmp_path / "copy.mp4"), stitch(clips, tmp_path / "enc.mp4", fade=0.2)):
        head = film.path.read_bytes()[:4096]
        assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


def test_simulator_clips_join_by_stream_copy(tmp_path):
    """The offline simulator's renders (what a board on the simulator stitches) need no re-encode."""
    from hailuo_nb.sim.video import RenderSpec, frame_size, render_mp4

    w, h = frame_size("768P", 16 / 9)
    clips = []
    for n, (prompt, seconds) in enumerate([("a lighthouse", 6), ("the keeper", 10), ("the sea", 6)]):
        clips.append(tmp_path / f"{n}.mp4")
        clips[-1].write_bytes(render_mp4(RenderSpec(prompt, seconds, w, h)))
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == "copy" and not film.audio
    assert film.duration == pytest.approx(22, abs=0.1 * 2)
    assert float(probe(film.path).duration) == pytest.approx(22, abs=0.1 * 2)
    assert_monotonic(film.path)


def pitch(samples, rate, start, stop):
    part = samples[int(start * rate): int(stop * rate)]
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
    return float(np.fft.rfftfreq(len(part), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize("second_size", [(160, 96), (96, 96)])
def test_each_clips_sound_starts_at_its_cut(tmp_path, second_size):
    """Cuts that fall mid-AAC-frame (2.3 s, 4.4 s) still switch the sound on the video frame."""
    clips = [make_clip(tmp_path / "a.mp4", 2.3, tone=440),
             make_clip(tmp_path / "b.mp4", 2.1, size=second_size, tone=1000, sample_rate=48000),
             make_clip(tmp_path / "c.mp4", 1.2, tone=440)]
    film = stitch(clips, tmp_path / "film.mp4")
    assert film.video == ("copy" if second_size == (160, 96) else "encode")
    samples, rate = sound(film.path)
    for cut, before, after in [(2.3, 440, 1000), (4.4, 1000, 440)]:
        assert pitch(samples, rate, cut - 0.06, cut - 0.01) == pytest.approx(before, abs=25)
        assert pitch(samples, rate, cut + 0.01, cut + 0.06) == pytest.approx(after, abs=25)
    assert_sound_length(film.path, 5.6)
