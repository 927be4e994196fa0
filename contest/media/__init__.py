"""Video handling: probe (ffprobe), device check, transcode (ffmpeg-python), pipeline."""
