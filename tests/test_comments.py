"""Comments: sanitizing, replies one level deep, edit and delete, comments off, limits."""
import re

import pytest
from markupsafe import Markup

from contest import create_app
from contest.errors import DomainError
from contest.extensions import db as _db
from contest.extensions import limiter
from contest.jobs import wait_for_jobs
from contest.models import Comment, Film
from contest.operations import comments as ops


def make_film(contest, owner, title="Harbour at dawn", **extra):
    film = Film(contest=contest, owner=owner, title=title, status="ready",
                published_at=contest.submissions_open_at, **extra)
    _db.session.add(film)
    _db.session.commit()
    return film


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ana")


@pytest.fixture
def film(make_contest, filmmaker):
    return make_film(make_contest(), filmmaker)


def post(client, film, body, **form):
    return client.post(f"/films/{film.public_id}/comments", data={"body": body, **form})


def page(client, film, **args):
    response = client.get(f"/films/{film.public_id}/comments", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def comments():
    return _db.session.scalars(_db.select(Comment).order_by(Comment.id)).all()


# -- sanitizing ------------------------------------------------------------------------------


@pytest.mark.parametrize("body, absent, present", [
    ("<script>alert(1)</script>", "<script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<a href="javascript:alert(1)">x</a>', "<a href=\"javascript", "&lt;a href="),
    ("javascript:alert(1)", "<a", "javascript:alert(1)"),
    ('<img src=x onerror="alert(1)">', "<img", "&lt;img src=x onerror="),
    ("<b onclick=alert(1)>bold</b>", "<b", "&lt;b onclick=alert(1)&gt;"),
])
def test_html_from_users_is_shown_as_text(body, absent, present):
    html = ops.render_body(body)
    assert isinstance(html, Markup)
    assert absent not in html and present in html


def test_web_addresses_become_nofollow_links():
    html = ops.render_body("See https://example.com/a?b=1&c=2. And http://x.org/p (old).")
    links = re.findall(r"<a [^>]*>[^<]*</a>", html)
    assert links == [
        '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener" '
        'target="_blank">https://example.com/a?b=1&amp;c=2</a>',
        '<a href="http://x.org/p" rel="nofollow ugc noopener" target="_blank">http://x.org/p</a>',
    ]
    assert html.endswith(". And " + links[1] + " (old).")


def test_a_quote_cannot_break_out_of_the_link():
    html = ops.render_body('https://example.com/"onmouseover="alert(1)')
    assert '<a href="https://example.com/" rel="nofollow ugc noopener"' in html
    assert "&#34;onmouseover=&#34;alert(1)" in html
    assert html.count("<a ") == 1 and "onmouseover=\"" not in html


def test_balanced_brackets_stay_in_the_link_and_long_ones_are_shortened():
    html = ops.render_body("(https://en.wikipedia.org/wiki/Fog_(film))")
    assert 'href="https://en.wikipedia.org/wiki/Fog_(film)"' in html and html.endswith("</a>)")
    long = "https://example.com/" + "x" * 100
    assert f'href="{long}"' in ops.render_body(long) and "…</a>" in ops.render_body(long)


def test_a_posted_script_is_escaped_on_the_page(client, film, make_user, login):
    login(client, make_user())
    assert post(client, film, "<script>alert('x')</script> https://ok.example/").status_code == 302
    html = page(client, film)
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)" in html
    assert '<a href="https://ok.example/" rel="nofollow ugc noopener"' in html


# -- posting and replying --------------------------------------------------------------------


def test_a_signed_in_user_comments_and_is_sent_back_to_the_comment(client, film, make_user,
                                                                   login):
    login(client, make_user(name="Bo"))
    response = post(client, film, "  Lovely light.  ")
    [comment] = comments()
    assert comment.body == "Lovely light." and comment.parent_id is None
    assert response.headers["Location"].endswith(
        f"/films/{film.public_id}#c-{comment.public_id}")
    assert "Lovely light." in page(client, film) and "Bo" in page(client, film)


def test_visitors_must_sign_in_to_comment(client, film):
    response = post(client, film, "hello")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert comments() == [] and "Sign in</a> to join" in page(client, film)


def test_empty_and_too_long_comments_are_refused(client, film, make_user, login):
    login(client, make_user())
    post(client, film, "   ")
    post(client, film, "x" * (ops.BODY_MAX + 1))
    assert comments() == []
    assert "Write something first." in page(client, film)


def test_a_reply_to_a_reply_joins_the_top_comment(client, film, make_user, login):
    first, second = make_user(), make_user()
    top = ops.add_comment(film, first, "Top")
    reply = ops.add_comment(film, second, "Reply", parent=top)
    login(client, first)
    post(client, film, "Reply to the reply", parent=reply.public_id)
    rows = comments()
    assert [c.parent_id for c in rows] == [None, top.id, top.id]
    html = page(client, film)
    replies = html.split('<ol class="replies">')[1].split("</ol>")[0]
    assert "Reply to the reply" in replies and f'id="c-{reply.public_id}"' in replies


def test_a_reply_must_be_on_the_same_film(make_contest, film, filmmaker, make_user):
    other = make_film(film.contest, filmmaker, title="Other")
    top = ops.add_comment(other, make_user(), "elsewhere")
    with pytest.raises(DomainError):
        ops.add_comment(film, make_user(), "wrong film", parent=top)


def test_the_filmmakers_comments_are_marked(client, film, filmmaker, make_user):
    top = ops.add_comment(film, make_user(name="Viewer"), "Question?")
    ops.add_comment(film, filmmaker, "Answer.", parent=top)
    html = page(client, film)
    assert html.count('class="badge filmmaker">Filmmaker<') == 1
    answer = html.split('<ol class="replies">')[1]
    assert "Filmmaker" in answer.split("Answer.")[0]


def test_newest_or_oldest_first(client, film, make_user, clock):
    for body in ("alpha", "bravo", "charlie"):
        ops.add_comment(film, make_user(), body)
        clock.advance(minutes=1)
    newest = page(client, film)
    assert newest.index("charlie") < newest.index("bravo") < newest.index("alpha")
    oldest = page(client, film, comments="old")
    assert oldest.index("alpha") < oldest.index("bravo") < oldest.index("charlie")


# -- edit and delete -------------------------------------------------------------------------


def test_the_author_edits_and_the_page_says_edited(client, film, make_user, login, clock):
    author = make_user()
    comment = ops.add_comment(film, author, "Typo heer")
    assert "edited" not in page(client, film)
    login(client, author)
    clock.advance(minutes=2)
    response = client.post(f"/comments/{comment.public_id}/edit", data={"body": "Typo here"})
    assert response.status_code == 302
    _db.session.refresh(comment)
    assert comment.body == "Typo here" and comment.edited_at == clock.now()
    assert "· edited" in page(client, film)


def test_nobody_else_edits_or_deletes(client, film, filmmaker, make_user, login):
    comment = ops.add_comment(film, make_user(), "Mine")
    for someone in (make_user(), filmmaker, make_user(roles=["organizer"])):
        login(client, someone)
        assert client.post(f"/comments/{comment.public_id}/edit",
                           data={"body": "Yours"}).status_code == 403
        assert client.post(f"/comments/{comment.public_id}/delete").status_code == 403
    _db.session.refresh(comment)
    assert comment.body == "Mine" and comment.deleted_at is None


def test_deleting_keeps_the_replies_under_a_placeholder(client, film, make_user, login):
    author = make_user()
    top = ops.add_comment(film, author, "Going to delete this")
    ops.add_comment(film, make_user(), "A reply that stays", parent=top)
    lonely = ops.add_comment(film, author, "Alone")
    login(client, author)
    assert client.post(f"/comments/{top.public_id}/delete").status_code == 302
    client.post(f"/comments/{lonely.public_id}/delete")
    html = page(client, film)
    assert "Comment deleted." in html and "A reply that stays" in html
    assert "Going to delete this" not in html and "Alone" not in html
    assert html.count("Comment deleted.") == 1  # a deleted comment without replies goes
    with pytest.raises(DomainError):
        ops.edit_comment(top, author, "back again")


# -- comments off, suspended accounts --------------------------------------------------------


def test_the_filmmaker_turns_comments_off_and_on(client, film, filmmaker, make_user, login):
    login(client, make_user())
    assert client.post(f"/films/{film.public_id}/comments/settings").status_code == 403
    login(client, filmmaker)
    client.post(f"/films/{film.public_id}/comments/settings")  # no "enabled": off
    assert film.comments_enabled is False
    login(client, make_user())
    assert post(client, film, "Still here?").status_code == 403
    assert comments() == [] and "turned comments off" in page(client, film)
    login(client, filmmaker)
    client.post(f"/films/{film.public_id}/comments/settings", data={"enabled": "y"})
    assert film.comments_enabled is True


def test_suspended_users_cannot_comment(client, film, make_user, login, clock):
    user = make_user()
    user.suspended_at = clock.now()
    _db.session.commit()
    with pytest.raises(DomainError) as refused:
        ops.add_comment(film, user, "let me in")
    assert refused.value.status == 403
    login(client, user)  # flask-login refuses the inactive account: it is a visitor
    response = post(client, film, "let me in")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert comments() == []


def test_unpublished_films_take_no_comments(film, make_user):
    film.withdrawn_at = film.published_at
    with pytest.raises(DomainError):
        ops.add_comment(film, make_user(), "hello")


# -- CSRF and rate limits --------------------------------------------------------------------


@pytest.fixture
def other_app(app, base_config):
    """A second app (rate limits or CSRF on); the limiter is global, so restore it after."""
    enabled, made = limiter.enabled, []
    yield lambda **config: made.append(create_app({**base_config, **config})) or made[-1]
    for other in made:
        assert wait_for_jobs(other)
    limiter.enabled = enabled


def test_comment_forms_need_the_csrf_token(other_app, film, make_user, login):
    client = other_app(WTF_CSRF_ENABLED=True).test_client()
    login(client, make_user())
    assert post(client, film, "no token").status_code == 400
    html = page(client, film)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert post(client, film, "with token", csrf_token=token).status_code == 302
    assert [c.body for c in comments()] == ["with token"]


def test_comments_are_rate_limited_per_account(other_app, film, make_user, login):
    client = other_app(RATELIMIT_ENABLED=True,
                       COMMENT_RATE_LIMIT="2 per minute").test_client()
    login(client, make_user())
    codes = [post(client, film, f"comment {i}").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert len(comments()) == 2
    login(client, make_user())  # another account has its own allowance
    assert post(client, film, "fresh").status_code == 302


def test_forms_on_the_discussion_page_come_back_to_it(client, film, make_user, login):
    login(client, make_user())
    html = page(client, film)
    assert html.count('name="back" value="discussion"') >= 1
    response = post(client, film, "from the discussion page", back="discussion")
    assert f"/films/{film.public_id}/comments#c-" in response.headers["Location"]
