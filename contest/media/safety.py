"""The input options every ffmpeg and ffprobe run uses on an uploaded file.

An upload is read only from a local file and only by the demuxers a phone video
needs: a text HLS playlist or concat list named film.mp4 must not be opened as
one, nor any protocol named inside the file be followed.
"""

# Demuxer names as ffmpeg knows them: "mov,mp4,m4a,3gp,3g2,mj2" is one demuxer,
# "matroska,webm" another; both spellings must be listed.
ALLOWED_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"
ALLOWED_PROTOCOLS = "file"

# Keyword arguments for ffmpeg.input()/ffmpeg.probe() (ffmpeg-python turns them into flags).
INPUT_OPTIONS = {
    "protocol_whitelist": ALLOWED_PROTOCOLS,
    "format_whitelist": ALLOWED_DEMUXERS,
}


def local_path(path):
    """An absolute 'file:' URL, so a name like 'concat:a|b' or 'http:x' is never a protocol."""
    from pathlib import Path

    return "file:" + str(Path(path).resolve())
