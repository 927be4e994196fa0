"""Hostile uploads are refused with a reason and leave nothing behind.

The first tests show the danger is real: a bare ffprobe/ffmpeg (Debian's 5.1)
follows a playlist named film.mp4 into another entrant's original, reads a
concat: name and fetches an http: name. The rest show the site's probe never does.
"""
import http.server
import os
import subprocess
import threading

import ffmpeg
import pytest
from hostile import CASES, build

from contest.media import safety
from contest.media.checks import check_upload
from contest.media.probe import MediaRefused, probe, run_ffprobe


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def lenient_contest(make_contest):
    """Generous limits, so each file is refused for what it is, not for the contest."""
    return make_contest(max_duration_s=600, min_height=0, max_size_mb=50,
                        device_policy="flag")


def listing(folder):
    return sorted((p.name, p.stat().st_size) for p in folder.iterdir())


def bare_ffprobe(target, cwd=None):
    done = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams",
                           "-of", "json", str(target)], capture_output=True, cwd=cwd)
    return done.returncode, done.stdout.decode()


def frame_hashes(path):
    """The MD5 of each decoded video frame, as a bare ffmpeg run sees the file."""
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v",
                           "-f", "framemd5", "-"], capture_output=True)
    return [line.rsplit(",", 1)[1].strip() for line in done.stdout.decode().splitlines()
            if line.startswith("0,")]


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_refused_with_a_reason(name, corpus, lenient_contest):
    case = corpus[name]
    before = listing(case.path.parent)
    with pytest.raises(MediaRefused) as refused:
        check_upload(case.path, lenient_contest)
    assert case.reason in refused.value.message
    assert refused.value.status == 422 and refused.value.code == "media_refused"
    assert listing(case.path.parent) == before


def test_bare_ffmpeg_follows_a_playlist_named_mp4_into_a_neighbour(corpus):
    """Without the whitelist the 'film' is another entrant's original, frame for frame."""
    film = corpus["hls_playlist"].path
    other = film.parent / "other.mp4"
    code, out = bare_ffprobe(film)
    assert code == 0 and '"format_name": "hls"' in out and '"width": 320' in out
    leaked = frame_hashes(film)
    assert len(leaked) == 48 and leaked == frame_hashes(other)


@pytest.mark.parametrize("name", ["hls_playlist", "hls_absolute", "ffconcat"])
def test_safe_options_stop_the_playlist_in_ffprobe_and_ffmpeg(corpus, tmp_path, name):
    film = corpus[name].path
    with pytest.raises(MediaRefused, match="playlist"):
        run_ffprobe(film)  # the whitelist itself, before any later check
    out = tmp_path / "leak.png"
    stream = ffmpeg.input(safety.local_path(film), **safety.INPUT_OPTIONS)
    with pytest.raises(ffmpeg.Error) as error:
        stream.output(str(out), vframes=1).run(capture_stdout=True, capture_stderr=True)
    assert b"not on whitelist" in error.value.stderr
    assert not out.exists()


def test_bare_ffprobe_reads_a_concat_list_named_mp4(corpus):
    code, out = bare_ffprobe(corpus["ffconcat"].path)
    assert code == 0 and '"format_name": "concat"' in out


def test_a_concat_name_is_only_a_file_name(corpus):
    case = corpus["concat_name"]
    code, out = bare_ffprobe(case.path.name, cwd=case.path.parent)
    assert code == 0 and '"codec_name": "h264"' in out  # the neighbour, not the text
    with pytest.raises(MediaRefused, match="text file"):
        probe(case.path)


@pytest.fixture
def web_server():
    """A local HTTP server that records every request it receives."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_an_http_name_is_never_fetched(web_server, tmp_path, lenient_contest):
    base, requests = web_server
    bare_ffprobe(f"{base}/bare.mp4")
    assert requests == ["/bare.mp4"]
    os.chdir(tmp_path)
    for name in (f"{base}/film.mp4", f"concat:{base}/film.mp4", f"{base}/x.mp4|y.mp4"):
        with pytest.raises(MediaRefused, match="could not find"):
            probe(name)
        with pytest.raises(MediaRefused):
            check_upload(name, lenient_contest)
    assert requests == ["/bare.mp4"]
    assert list(tmp_path.iterdir()) == []


def test_local_path_never_names_a_protocol(tmp_path):
    weird = tmp_path / "http:x.mp4"
    weird.write_bytes(b"")
    assert safety.local_path(weird) == f"file:{weird}"
    assert safety.local_path("concat:a|b").startswith("file:/")
