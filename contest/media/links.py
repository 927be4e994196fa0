"""URLs of a film's stored media, built when a page or a resource is rendered."""
from contest.storage import get_storage


def media_links(film):
    """poster, thumbnail, HLS and rendition URLs (None/empty until the film is ready)."""
    if film.status != "ready":
        return {"poster_url": None, "thumbnail_url": None, "hls_url": None, "renditions": []}
    storage = get_storage()
    return {
        "poster_url": storage.url(film.poster_key) if film.poster_key else None,
        "thumbnail_url": storage.url(film.thumbnail_key) if film.thumbnail_key else None,
        "hls_url": storage.url(film.hls_key) if film.hls_key else None,
        "renditions": [
            {"height": r.height, "width": r.width, "url": storage.url(r.key), "bytes": r.bytes}
            for r in film.renditions
        ],
    }
