"""Sharing a film: meta tags, oEmbed, the embeddable player, share links and their counts."""
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from test_film_page import Tags, make_ready_film

from contest.models import ShareCount


@pytest.fixture
def contest(make_contest):
    return make_contest("n8", min_height=120)


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Aino Virtanen")


@pytest.fixture
def film(db, contest, filmmaker):
    return make_ready_film(db, contest, filmmaker,
                           description="A *quiet* morning at the **harbour**.")


def meta(tags):
    """{property or name: content} of a page's meta tags."""
    return {a.get("property") or a.get("name"): a.get("content") for t, a in tags.tags
            if t == "meta" and (a.get("property") or a.get("name"))}


def links(tags, rel):
    return [a for t, a in tags.tags if t == "link" and a.get("rel") == rel]


# -- meta tags -----------------------------------------------------------------------------


def test_open_graph_and_player_card_tags(client, film):
    tags = Tags(client.get(f"/films/{film.public_id}?ref=x").get_data(as_text=True))
    m = meta(tags)
    page = f"http://localhost/films/{film.public_id}"
    assert links(tags, "canonical")[0]["href"] == page  # no ref in it
    assert m["og:url"] == page and m["og:type"] == "video.other"
    assert m["og:title"] == m["twitter:title"] == "Harbour at dawn"
    assert m["og:description"] == "A quiet morning at the harbour."  # Markdown as plain text
    assert m["og:image"] == f"http://localhost/media/films/{film.public_id}/v1/poster.jpg"
    assert (m["og:image:width"], m["og:image:height"]) == ("1280", "720")
    # A direct MP4 of mid size, so chat apps can play it inline.
    assert m["og:video"] == f"http://localhost/media/films/{film.public_id}/v1/720p.mp4"
    assert m["og:video:type"] == "video/mp4"
    assert (m["og:video:width"], m["og:video:height"]) == ("1280", "720")
    assert "og:video:secure_url" not in m  # http here; https sites get it
    assert m["twitter:card"] == "player"
    assert m["twitter:player"] == page + "/embed"
    assert (m["twitter:player:width"], m["twitter:player:height"]) == ("640", "360")
    assert m["twitter:image"] == m["og:image"]
    [oembed] = [a for a in links(tags, "alternate") if a["type"] == "application/json+oembed"]
    parts = urlsplit(oembed["href"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://localhost/oembed"
    assert parse_qs(parts.query) == {"url": [page], "format": ["json"]}


def test_meta_urls_use_the_configured_server_name_and_scheme(app, db, film):
    app.config.update(SERVER_NAME="films.example.org", PREFERRED_URL_SCHEME="https")
    client = app.test_client()
    for base in ("http://films.example.org", "https://films.example.org"):
        tags = Tags(client.get(f"/films/{film.public_id}", base_url=base).get_data(as_text=True))
        m = meta(tags)
        urls = [m[k] for k in ("og:url", "og:image", "og:video", "twitter:player",
                               "twitter:image")]
        urls += [links(tags, "canonical")[0]["href"], links(tags, "alternate")[0]["href"]]
        assert all(u.startswith("https://films.example.org/") for u in urls), urls
        assert m["og:video:secure_url"] == m["og:video"]
        oembed = client.get(links(tags, "alternate")[0]["href"], base_url=base).get_json()
        assert oembed["html"].startswith('<iframe src="https://films.example.org/films/')
        assert oembed["thumbnail_url"].startswith("https://films.example.org/media/")


def test_a_film_without_description_gets_a_sentence(client, db, contest, filmmaker):
    film = make_ready_film(db, contest, filmmaker)
    m = meta(Tags(client.get(f"/films/{film.public_id}").get_data(as_text=True)))
    assert m["og:description"] == ("A short film by Aino Virtanen for Shot on N8, "
                                   "shot on Nokia N8-00.")


def test_portrait_films_get_a_portrait_player_card(client, db, contest, filmmaker):
    film = make_ready_film(db, contest, filmmaker, ladder=[(1080, 1920), (720, 1280)])
    m = meta(Tags(client.get(f"/films/{film.public_id}").get_data(as_text=True)))
    assert m["og:video"].endswith("/1280p.mp4")  # the 720-wide one
    assert (m["twitter:player:width"], m["twitter:player:height"]) == ("360", "640")
    assert (m["og:image:width"], m["og:image:height"]) == ("720", "1280")


# -- oEmbed --------------------------------------------------------------------------------


def test_oembed_describes_a_film(app, client, film, filmmaker):
    url = f"http://localhost/films/{film.public_id}"
    profile = ("community.profile" in app.view_functions
               and f"http://localhost/u/{filmmaker.public_id}")
    response = client.get("/oembed", query_string={"url": url, "format": "json"})
    assert response.status_code == 200 and response.content_type == "application/json"
    body = response.get_json()
    assert body == {
        "version": "1.0", "type": "video", "title": "Harbour at dawn",
        "author_name": "Aino Virtanen", "author_url": profile or url + "#by-filmmaker",
        "provider_name": "Shot on a phone", "provider_url": "http://localhost/",
        "html": body["html"], "width": 640, "height": 360,
        "thumbnail_url": f"http://localhost/media/films/{film.public_id}/v1/poster.jpg",
        "thumbnail_width": 1280, "thumbnail_height": 720,
    }
    [iframe] = Tags(body["html"]).find("iframe")
    assert iframe["src"] == url + "/embed"
    assert (iframe["width"], iframe["height"]) == ("640", "360")
    assert iframe["title"] == "Harbour at dawn" and "allowfullscreen" in iframe
    # The embed URL itself, no format (json is the default), and a smaller box all work.
    small = client.get("/oembed", query_string={"url": url + "/embed", "maxwidth": 320}).get_json()
    assert (small["width"], small["height"]) == (320, 180)


def test_oembed_escapes_the_title(client, db, contest, filmmaker):
    film = make_ready_film(db, contest, filmmaker, title='"><script>x</script>')
    body = client.get("/oembed", query_string={
        "url": f"http://localhost/films/{film.public_id}"}).get_json()
    assert "<script>" not in body["html"] and "&lt;script&gt;" in body["html"]


@pytest.mark.parametrize("query, status", [
    ({"url": "http://localhost/films/nope"}, 404),
    ({"url": "http://localhost/films/FILM", "format": "xml"}, 501),
    ({"url": "https://evil.example/films/FILM"}, 400),
    ({"url": "http://localhost/contests/n8"}, 400),
    ({"url": "http://localhost/films/FILM/edit"}, 400),
    ({"url": "javascript:alert(1)"}, 400),
    ({}, 400),
    ({"url": "http://localhost/films/FILM", "maxwidth": "wide"}, 400),
])
def test_oembed_refusals(client, film, query, status):
    query = {k: v.replace("FILM", film.public_id) for k, v in query.items()}
    response = client.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_oembed_knows_nothing_of_unpublished_or_withdrawn_films(client, db, film, clock):
    url = f"http://localhost/films/{film.public_id}"
    film.withdrawn_at = clock.now()
    db.session.commit()
    assert client.get("/oembed", query_string={"url": url}).status_code == 404
    film.withdrawn_at, film.status = None, "processing"
    db.session.commit()
    assert client.get("/oembed", query_string={"url": url}).status_code == 404


# -- framing -------------------------------------------------------------------------------


def test_only_the_embed_page_may_be_framed(client, film):
    embed = client.get(f"/films/{film.public_id}/embed")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert embed.headers["Content-Security-Policy"] == "frame-ancestors *"
    for path in (f"/films/{film.public_id}", "/", "/contests/n8",
                 f"/oembed?url=http://localhost/films/{film.public_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors *" not in response.headers.get("Content-Security-Policy", "")


def test_embed_page_is_a_bare_player_linking_back(client, film):
    html = client.get(f"/films/{film.public_id}/embed").get_data(as_text=True)
    tags = Tags(html)
    [video] = tags.find("video")
    assert video["data-hls"].endswith(film.hls_key) and tags.find("source", type="video/mp4")
    [back] = [a for t, a in tags.tags if t == "a" and "ref=embed" in a.get("href", "")]
    assert back["href"] == f"http://localhost/films/{film.public_id}?ref=embed"
    assert back["target"] == "_blank"
    assert 'class="site-header"' not in html and tags.find("meta", name="robots")


# -- the share panel and its counts --------------------------------------------------------


def test_share_panel_links_carry_their_channel(client, film):
    tags = Tags(client.get(f"/films/{film.public_id}").get_data(as_text=True))
    page = f"http://localhost/films/{film.public_id}"
    hrefs = {a["class"]: a["href"] for t, a in tags.tags if t == "a" and
             a.get("class", "").startswith("share-")}
    shared = {
        "share-x": ("x.com", "url"), "share-facebook": ("www.facebook.com", "u"),
        "share-reddit": ("www.reddit.com", "url"),
    }
    for cls, (host, param) in shared.items():
        parts = urlsplit(hrefs[cls])
        assert parts.netloc == host
        assert parse_qs(parts.query)[param] == [f"{page}?ref={cls[6:]}"]
    assert hrefs["share-whatsapp"].startswith("https://wa.me/?")
    assert parse_qs(urlsplit(hrefs["share-whatsapp"]).query)["text"][0].endswith(
        f"{page}?ref=whatsapp")
    assert hrefs["share-email"].startswith("mailto:?")
    assert f"{quote(page, safe='')}%3Fref%3Demail" in hrefs["share-email"]
    assert "+" not in hrefs["share-email"]  # mail apps read + literally
    assert tags.find("input", id="share-link")[0]["value"] == f"{page}?ref=copy"
    native = tags.find("button", **{"class": "share-native"})[0]
    assert native["data-url"] == f"{page}?ref=native" and "hidden" in native
    embed_code = Tags(client.get(f"/films/{film.public_id}").get_data(as_text=True))
    assert embed_code.find("textarea", id="embed-code")


def counts(db):
    db.session.expire_all()
    return {(row.ref, row.day): row.visits for row in db.session.scalars(db.select(ShareCount))}


def test_share_visits_are_counted_per_channel_and_day(app, db, film, clock, filmmaker, login):
    today = clock.now().date()
    visitor = app.test_client()
    for ref in ("x", "x", "WhatsApp", "bogus-channel", ""):
        visitor.get(f"/films/{film.public_id}", query_string={"ref": ref} if ref else None)
    app.test_client().get(f"/films/{film.public_id}?ref=x")
    assert counts(db) == {("x", today): 3, ("whatsapp", today): 1, ("other", today): 1}
    # Link previews, and the filmmaker trying their own link, bring nobody.
    app.test_client().get(f"/films/{film.public_id}?ref=x",
                          headers={"User-Agent": "WhatsApp/2.23.20.0"})
    owner = app.test_client()
    login(owner, filmmaker)
    owner.get(f"/films/{film.public_id}?ref=x")
    assert counts(db)[("x", today)] == 3
    clock.advance(days=1)
    visitor.get(f"/films/{film.public_id}?ref=x")
    assert counts(db)[("x", clock.now().date())] == 1
    rows = db.session.scalars(db.select(ShareCount)).all()
    assert {row.contest_id for row in rows} == {film.contest_id}


def test_share_refs_on_the_embed_link_are_counted(app, db, film, clock):
    client = app.test_client()
    html = client.get(f"/films/{film.public_id}/embed").get_data(as_text=True)
    [back] = [a["href"] for t, a in Tags(html).tags if t == "a" and "ref=" in a.get("href", "")]
    client.get(back)
    assert counts(db) == {("embed", clock.now().date()): 1}
