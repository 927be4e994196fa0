"""A corpus of hostile uploads, made with real ffmpeg in a folder at test time.

Each case lives in its own folder so a test can check that screening it leaves
nothing behind. Some cases have a neighbour: another entrant's original, which
a playlist or concat list named film.mp4 points at.
"""
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from clips import make_clip


@dataclass
class Hostile:
    name: str
    path: Path
    reason: str  # words the refusal message must contain


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True,
                   capture_output=True)


_made = {}


def neighbour(folder, name="other.mp4"):
    """Another entrant's original next to the upload: moov first, so HLS can read it."""
    if "source" not in _made or not _made["source"].exists():
        _made["source"] = make_clip(folder.parent / "_neighbour.mp4", seconds=2,
                                    extra=("-movflags", "+faststart"))
    return Path(shutil.copy(_made["source"], folder / name))


def hls_playlist(folder):
    neighbour(folder)
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nother.mp4\n#EXT-X-ENDLIST\n"
    return _write(folder / "film.mp4", text)


def hls_absolute(folder):
    other = neighbour(folder)
    text = f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile:{other}\n#EXT-X-ENDLIST\n"
    return _write(folder / "film.mp4", text)


def ffconcat(folder):
    neighbour(folder)
    return _write(folder / "film.mp4", "ffconcat version 1.0\nfile other.mp4\n")


def concat_name(folder):
    """A file whose name is a concat: URL; read bare, it would join the neighbours."""
    neighbour(folder, "a.mp4")
    return _write(folder / "concat:a.mp4|a.mp4", "not a film\n")


def png(folder):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", 1, "-f", "image2",
           "-c:v", "png", folder / "film.mp4")
    return folder / "film.mp4"


def jpeg(folder):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", 1, "-f", "image2",
           "-c:v", "mjpeg", folder / "film.mp4")
    return folder / "film.mp4"


def gif(folder):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=2", "-f", "gif",
           folder / "film.mp4")
    return folder / "film.mp4"


def text(folder):
    return _write(folder / "film.mp4", "This is my film, honestly.\nIt is very good.\n")


def subtitles(folder):
    return _write(folder / "film.mp4", "1\n00:00:01,000 --> 00:00:02,000\nHello\n")


def audio_only(folder):
    ffmpeg("-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", "-f", "mp4",
           folder / "film.mp4")
    return folder / "film.mp4"


def mp3(folder):
    ffmpeg("-f", "lavfi", "-i", "sine=duration=2", "-f", "mp3", folder / "film.mp4")
    return folder / "film.mp4"


def avi(folder):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:duration=2", "-c:v", "mpeg4",
           "-f", "avi", folder / "film.mp4")
    return folder / "film.mp4"


def truncated_end(folder):
    """Cut in half with the index (moov) at the end: the index is lost."""
    whole = make_clip(folder / "whole.mp4", seconds=2)
    return _cut(whole, folder / "film.mp4", 0.5)


def truncated_middle(folder):
    """Index first (faststart), then cut: the index promises data that is not there."""
    return _cut(neighbour(folder, "whole.mp4"), folder / "film.mp4", 0.5)


def empty(folder):
    return _write(folder / "film.mp4", "")


def huge_frame(folder):
    """A 20 KB Motion JPEG film whose headers claim 16000x16000 frames."""
    small = folder / "small.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=24:duration=1.5", "-c:v", "mjpeg",
           "-f", "mov", small)
    data = bytearray(small.read_bytes())
    small.unlink()
    entry = data.find(b"jpeg")  # the sample entry: width and height 24 bytes on
    data[entry + 28:entry + 32] = struct.pack(">HH", 16000, 16000)
    start = 0
    while (start := data.find(b"\xff\xc0\x00\x11\x08", start) + 1) > 0:
        data[start + 4:start + 8] = struct.pack(">HH", 16000, 16000)  # each frame's SOF0
    (folder / "film.mov").write_bytes(data)
    return folder / "film.mov"


def long_duration(folder):
    """Three hours, cheaply: 16x16 at one frame a minute."""
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=1/60:duration=10800",
           "-c:v", "libx264", "-preset", "ultrafast", folder / "film.mp4")
    return folder / "film.mp4"


def many_streams(folder):
    maps = [arg for _ in range(20) for arg in ("-map", "1:a")]
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:duration=1.5", "-f", "lavfi",
           "-i", "anullsrc", "-map", "0:v", *maps, "-c:v", "libx264", "-preset",
           "ultrafast", "-c:a", "aac", "-t", 1.5, folder / "film.mp4")
    return folder / "film.mp4"


def high_frame_rate(folder):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=1000:duration=1.5",
           "-c:v", "libx264", "-preset", "ultrafast", folder / "film.mp4")
    return folder / "film.mp4"


def _write(path, text):
    path.write_text(text)
    return path


def _cut(whole, path, fraction):
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


# name: (maker, words the refusal must contain)
CASES = {
    "hls_playlist": (hls_playlist, "playlist"),
    "hls_absolute": (hls_absolute, "playlist"),
    "ffconcat": (ffconcat, "playlist"),
    "concat_name": (concat_name, "text file"),
    "png": (png, "image"),
    "jpeg": (jpeg, "image"),
    "gif": (gif, "image"),
    "text": (text, "text file"),
    "subtitles": (subtitles, "text file"),
    "audio_only": (audio_only, "no picture"),
    "mp3": (mp3, "no picture"),
    "avi": (avi, "not accepted"),
    "truncated_end": (truncated_end, "incomplete"),
    "truncated_middle": (truncated_middle, "incomplete"),
    "empty": (empty, "empty"),
    "huge_frame": (huge_frame, "larger than any phone"),
    "long_duration": (long_duration, "3 h long"),
    "many_streams": (many_streams, "21 tracks"),
    "high_frame_rate": (high_frame_rate, "1000 frames a second"),
}


def build(root):
    """Make every case under root; returns {name: Hostile}."""
    cases = {}
    for name, (maker, reason) in CASES.items():
        folder = Path(root) / name
        folder.mkdir(parents=True)
        cases[name] = Hostile(name, maker(folder), reason)
    return cases
