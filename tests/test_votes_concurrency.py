"""Votes racing each other: the count on the film equals the vote rows, whatever the interleaving.

Run it on PostgreSQL (TEST_DATABASE_URL) as well as on SQLite: each thread has its own
app context, session and connection, and all of them start together at a barrier.
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from contest import create_app
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, User, Vote
from contest.operations import votes

THREADS = 20


@pytest.fixture
def racing_app(app, base_config):
    """An app whose pool has a connection for every thread, so all of them really overlap."""
    options = {"pool_size": THREADS, "max_overflow": 5, "pool_timeout": 60}
    racing = create_app({**base_config, "SQLALCHEMY_ENGINE_OPTIONS": options})
    yield racing
    with racing.app_context():
        db.engine.dispose()


@pytest.fixture
def contest(make_contest, clock):
    made = make_contest("race")
    clock.set(made.voting_open_at + timedelta(hours=5))
    return made


def make_films(contest, owner, count):
    films = [Film(contest=contest, owner=owner, title=f"Film {i}", status="ready",
                  published_at=contest.submissions_open_at) for i in range(count)]
    db.session.add_all(films)
    db.session.commit()
    return [film.id for film in films]


def race(app, jobs):
    """Run each job(film, user loader) in its own thread; all start at once. Returns results."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            db.session.scalar(db.select(User.id).limit(1))  # hold a connection, like a request
            barrier.wait(timeout=30)
            outcomes = []
            for action, film_id, user_id in job:
                film, user = db.session.get(Film, film_id), db.session.get(User, user_id)
                try:
                    outcomes.append(action(film, user))
                except DomainError as error:
                    db.session.rollback()
                    outcomes.append(error)
            return outcomes

    with ThreadPoolExecutor(len(jobs)) as pool:
        return [outcome for outcomes in pool.map(run, jobs) for outcome in outcomes]


def assert_counts_match_rows(film_ids):
    """Every film's vote_count equals its rows, and trend_score the sum of their weights."""
    db.session.expire_all()
    for film_id in film_ids:
        film = db.session.get(Film, film_id)
        weights = db.session.scalars(db.select(Vote.weight).filter_by(film_id=film_id)).all()
        assert film.vote_count == len(weights), film.title
        assert film.trend_score == pytest.approx(sum(weights))


def test_many_accounts_vote_on_one_film_at_once(racing_app, contest, make_user):
    owner = make_user()
    one, two = make_films(contest, owner, 2)
    users = [make_user().id for _ in range(THREADS)]
    cast, take_back = votes.cast_vote, votes.withdraw_vote
    jobs = [[(cast, one, u), (cast, two, u), (take_back, one, u), (cast, one, u)] for u in users]
    outcomes = race(racing_app, jobs)
    assert all(isinstance(o, votes.VoteResult) and o.changed for o in outcomes)
    assert_counts_match_rows([one, two])
    assert db.session.get(Film, one).vote_count == THREADS == db.session.get(Film, two).vote_count


def test_one_account_votes_many_times_at_once(racing_app, contest, make_user):
    (film,) = make_films(contest, make_user(), 1)
    user = make_user().id
    outcomes = race(racing_app, [[(votes.cast_vote, film, user)]] * THREADS)
    assert sorted(o.changed for o in outcomes) == [False] * (THREADS - 1) + [True]
    assert {o.votes for o in outcomes} == {1}
    assert_counts_match_rows([film])
    outcomes = race(racing_app, [[(votes.withdraw_vote, film, user)]] * THREADS)
    assert sorted(o.changed for o in outcomes) == [False] * (THREADS - 1) + [True]
    assert_counts_match_rows([film])
    assert db.session.get(Film, film).vote_count == 0


def test_one_account_cannot_race_past_its_n_votes(racing_app, contest, make_user):
    contest.votes_per_account = 3
    db.session.commit()
    films = make_films(contest, make_user(), THREADS)
    user = make_user().id
    outcomes = race(racing_app, [[(votes.cast_vote, film, user)] for film in films])
    counted = [o for o in outcomes if isinstance(o, votes.VoteResult)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(counted) == 3 and sorted(o.votes_left for o in counted) == [0, 1, 2]
    assert len(refused) == THREADS - 3 and {e.status for e in refused} == {409}
    assert db.session.scalar(db.select(db.func.count(Vote.id))) == 3
    assert_counts_match_rows(films)


def test_a_storm_of_votes_and_withdrawals(racing_app, contest, make_user):
    films = make_films(contest, make_user(), 3)
    users = [make_user().id for _ in range(5)]
    actions = (votes.cast_vote, votes.withdraw_vote)
    jobs = [[(actions[(t + i) % 2], films[(t * 7 + i) % 3], users[(t + i * 3) % 5])
             for i in range(4)] for t in range(THREADS)]
    outcomes = race(racing_app, jobs)
    assert not [o for o in outcomes if isinstance(o, DomainError)]
    assert_counts_match_rows(films)
