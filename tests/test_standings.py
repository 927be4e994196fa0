"""Standings: the aggregation math against hand-computed tables, what counts, sorting, CSV.

The table: 3 judges x 4 films x 2 criteria, Story weighing 2 and Craft 1. The lenient judge L
never saw film Z, the harsh judge H never saw film W, the neutral judge N saw all four. The
raw weighted means put W first; standardizing each judge's scores puts Z first.
"""
import csv
import io
import itertools
from datetime import datetime, timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import event
from werkzeug.security import generate_password_hash

from contest.errors import DomainError
from contest.models import Film, Rendition, Review, Score, User
from contest.operations.judging import (
    assign_judges,
    rubric,
    score_film,
    set_conflict,
    set_nomination,
    set_rubric,
)
from contest.operations.standings import aggregate, standardize, standings, standings_csv
from contest.operations.users import issue_token

START = datetime(2027, 3, 1, 12, 0)
JUDGING = START + timedelta(days=30)  # voting (and judging) open from day 28 to day 42

# (judge, film): (Story, Craft). A judge's film mean m = (2 * Story + 1 * Craft) / 3.
TABLE = {
    ("L", "W"): (9, 6),   # (18 + 6) / 3 = 8   (unweighted it would be 7.5)
    ("L", "X"): (10, 7),  # (20 + 7) / 3 = 9
    ("L", "Y"): (6, 9),   # (12 + 9) / 3 = 7   (unweighted 7.5: the weights matter)
    ("H", "X"): (2, 5),   # (4 + 5) / 3 = 3
    ("H", "Y"): (1, 4),   # (2 + 4) / 3 = 2
    ("H", "Z"): (5, 2),   # (10 + 2) / 3 = 4
    ("N", "W"): (4, 7),   # (8 + 7) / 3 = 5
    ("N", "X"): (7, 4),   # (14 + 4) / 3 = 6
    ("N", "Y"): (3, 6),   # (6 + 6) / 3 = 4
    ("N", "Z"): (8, 5),   # (16 + 5) / 3 = 7
}
# Each judge's means, their average and population standard deviation, and the z-scores:
#   L: 8, 9, 7     average 8    sd sqrt((0 + 1 + 1) / 3) = sqrt(2/3) = 0.816497
#      z  W 0    X +1/0.816497 = +1.224745   Y -1.224745
#   H: 3, 2, 4     average 3    sd sqrt(2/3) = 0.816497
#      z  X 0    Y -1.224745   Z +1.224745
#   N: 5, 6, 4, 7  average 5.5  sd sqrt((0.25 + 0.25 + 2.25 + 2.25) / 4) = sqrt(1.25) = 1.118034
#      z  W -0.5/1.118034 = -0.447214   X +0.447214   Y -1.5/1.118034 = -1.341641   Z +1.341641
# Film  weighted mean            judges  normalized
#  W    (8 + 5) / 2     = 6.5       2    (0 - 0.447214) / 2                   = -0.223607
#  X    (9 + 3 + 6) / 3 = 6.0       3    (1.224745 + 0 + 0.447214) / 3        = +0.557320
#  Y    (7 + 2 + 4) / 3 = 4.333333  3    (-1.224745 - 1.224745 - 1.341641) / 3 = -1.263710
#  Z    (4 + 7) / 2     = 5.5       2    (1.224745 + 1.341641) / 2             = +1.283193
EXPECTED = {
    "W": (6.5, 2, -0.223607),
    "X": (6.0, 3, 0.557320),
    "Y": (4.333333, 3, -1.263710),
    "Z": (5.5, 2, 1.283193),
}
RAW_ORDER = ["W", "X", "Z", "Y"]         # by weighted mean: 6.5, 6.0, 5.5, 4.33
NORMALIZED_ORDER = ["Z", "X", "W", "Y"]  # by normalized: 1.28, 0.56, -0.22, -1.26
# Nominations: L and N nominate W, H and N nominate Z.
NOMINATIONS = {("L", "W"), ("N", "W"), ("H", "Z"), ("N", "Z")}
VOTES = {"W": 3, "X": 10, "Y": 0, "Z": 5}
VERDICTS = {"W": "verified", "X": "mismatch", "Y": "unknown", "Z": "verified"}


def close(value, expected):
    if expected is None:
        return value is None
    return value == pytest.approx(expected, abs=1e-6)


def flat_rows(table=TABLE):
    """(judge, film, criterion, value) rows as the database gives them."""
    for (judge, film), (story, craft) in table.items():
        yield judge, film, "story", story
        yield judge, film, "craft", craft


# --- the math on plain values -------------------------------------------------------------


def test_the_math_matches_the_hand_computed_table():
    result = aggregate(list(flat_rows()), {"story": 2, "craft": 1})
    for film, (mean, judges, normalized) in EXPECTED.items():
        assert close(result[film].mean, mean), film
        assert result[film].judges == judges
        assert close(result[film].normalized, normalized), film
    by_mean = sorted(result, key=lambda f: -result[f].mean)
    by_normalized = sorted(result, key=lambda f: -result[f].normalized)
    assert by_mean == RAW_ORDER
    assert by_normalized == NORMALIZED_ORDER != RAW_ORDER


def test_equal_weights_would_give_other_means():
    # With weights 1 and 1 the judges' means are plain averages of Story and Craft:
    #   X: L (10 + 7) / 2 = 8.5, H (2 + 5) / 2 = 3.5, N (7 + 4) / 2 = 5.5 -> 17.5 / 3 = 5.833333
    #   Y: L (6 + 9) / 2 = 7.5, H (1 + 4) / 2 = 2.5, N (3 + 6) / 2 = 4.5 -> 14.5 / 3 = 4.833333
    result = aggregate(list(flat_rows()), {"story": 1, "craft": 1})
    assert close(result["X"].mean, 5.833333)
    assert close(result["Y"].mean, 4.833333)


def test_a_judge_with_one_film_or_no_spread_counts_as_average():
    # S scored one film; F gave both their films the same mean: no spread to measure against.
    z = standardize({("S", "Z"): 10.0, ("F", "W"): 6.0, ("F", "X"): 6.0})
    assert z == {("S", "Z"): 0.0, ("F", "W"): 0.0, ("F", "X"): 0.0}
    # Adding S's 10 on Z to the table: Z's raw mean (4 + 7 + 10) / 3 = 7.0,
    # its normalized (1.224745 + 1.341641 + 0) / 3 = 0.855462.
    rows = list(flat_rows()) + [("S", "Z", "story", 10), ("S", "Z", "craft", 10)]
    result = aggregate(rows, {"story": 2, "craft": 1})
    assert close(result["Z"].mean, 7.0) and result["Z"].judges == 3
    assert close(result["Z"].normalized, 0.855462)


def test_partial_scores_use_the_weights_of_the_criteria_scored():
    # Only Story from judge A on film P: m = 2*6 / 2 = 6; a zero-weight criterion is ignored.
    rows = [("A", "P", "story", 6), ("A", "P", "extra", 1), ("A", "Q", "story", 8),
            ("A", "Q", "craft", 2)]  # Q: (16 + 2) / 3 = 6 -> both 6, sd 0, z 0
    result = aggregate(rows, {"story": 2, "craft": 1, "extra": 0})
    assert close(result["P"].mean, 6.0) and close(result["Q"].mean, 6.0)
    assert result["P"].normalized == result["Q"].normalized == 0.0


# --- a contest in the database --------------------------------------------------------------


@pytest.fixture(scope="session", name="password_hash")
def password_hash_fixture():
    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture(name="person")
def person_fixture(db, password_hash, clock):
    """person(name, roles=()): an account made as a row (sign-up is tested elsewhere);
    one shared password hash keeps the many accounts of these tests fast."""
    made = itertools.count(1)

    def make(name, roles=()):
        email = f"{name.split()[0].lower()}{next(made)}@example.com"
        user = User(email=email, display_name=name, password_hash=password_hash,
                    email_verified_at=clock.now(), **{f"is_{role}": True for role in roles})
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture(name="filmmaker")
def filmmaker_fixture(person):
    return person("Ada Lovelace")


@pytest.fixture(name="organizer")
def organizer_fixture(person):
    return person("Olga Organizer", roles=("organizer",))


@pytest.fixture(name="contest")
def contest_fixture(clock, make_contest):
    clock.set(START)
    return make_contest("n8")


@pytest.fixture(name="add_film")
def add_film_fixture(db, contest, filmmaker, clock):
    """add_film(title, votes=0, **columns): a published film made as a row."""
    made = []

    def add(title, votes=0, owner=None, **columns):
        n = len(made)
        film = Film(contest=contest, owner=owner or filmmaker, title=title, status="ready",
                    published_at=START - timedelta(hours=10 - n), vote_count=votes,
                    duration_s=60.0, width=640, height=360,
                    poster_key=f"films/f{n}/poster.jpg", thumbnail_key=f"films/f{n}/thumb.jpg",
                    **columns)
        film.renditions = [Rendition(height=360, width=640, bytes=10, key=f"films/f{n}/360.mp4")]
        db.session.add(film)
        db.session.commit()
        made.append(film)
        return film

    return add


@pytest.fixture
def judged(db, clock, contest, organizer, person, add_film):
    """The hand-computed table scored through the judges' own operations."""
    set_rubric(contest, [{"name": "Story", "weight": 2}, {"name": "Craft", "weight": 1}],
               organizer)
    judges = {key: person(name) for key, name in
              [("L", "Lenient Lee"), ("H", "Harsh Hana"), ("N", "Neutral Noa")]}
    assign_judges(contest, [judge.email for judge in judges.values()], organizer)
    films = {key: add_film(key, votes=VOTES[key], device_verdict=VERDICTS[key])
             for key in "WXYZ"}
    clock.set(JUDGING)
    for (judge, film), (story, craft) in TABLE.items():
        score_film(films[film], judges[judge], {"Story": story, "Craft": craft})
    for judge, film in NOMINATIONS:
        set_nomination(films[film], judges[judge], True)
    return {"contest": contest, "judges": judges, "films": films, "organizer": organizer}


def figures(table):
    return {row.film.title: (row.mean, row.judges, row.normalized) for row in table.rows}


def assert_expected(table, expected=EXPECTED):
    got = figures(table)
    assert set(got) == set(expected)
    for film, (mean, judges, normalized) in expected.items():
        assert close(got[film][0], mean) and got[film][1] == judges, film
        assert close(got[film][2], normalized), film


def test_standings_from_the_database_match_the_table(judged):
    table = standings(judged["contest"])
    assert_expected(table)
    assert [row.film.title for row in table.rows] == NORMALIZED_ORDER
    assert [row.film.title for row in standings(judged["contest"], "mean").rows] == RAW_ORDER
    by_title = {row.film.title: row for row in table.rows}
    assert {t: r.nominations for t, r in by_title.items()} == {"W": 2, "X": 0, "Y": 0, "Z": 2}
    assert {t: r.votes for t, r in by_title.items()} == VOTES
    assert {t: r.verdict for t, r in by_title.items()} == VERDICTS
    assert table.panel == 3 and [c.name for c in table.criteria] == ["Story", "Craft"]


def test_a_declared_conflict_takes_the_judges_scores_out(db, judged, person):
    contest, films, organizer = judged["contest"], judged["films"], judged["organizer"]
    cora = person("Conflicted Cora")
    assign_judges(contest, [j.email for j in judged["judges"].values()] + [cora.email],
                  organizer)
    score_film(films["X"], cora, {"Story": 10, "Craft": 10})
    set_nomination(films["X"], cora, True)
    changed = figures(standings(contest))
    assert changed["X"][1] == 4  # counted before the conflict
    set_conflict(films["X"], cora)
    table = standings(contest)
    assert_expected(table)
    assert {r.film.title: r.nominations for r in table.rows}["X"] == 0


def test_stale_scores_of_a_conflict_never_count(db, judged):
    """Even rows left behind (the operation deletes them) are excluded by the standings."""
    lee, film = judged["judges"]["L"], judged["films"]["Z"]
    story, craft = rubric(judged["contest"])
    db.session.add_all([Score(judge_id=lee.id, film_id=film.id, criterion_id=story.id, value=1),
                        Score(judge_id=lee.id, film_id=film.id, criterion_id=craft.id, value=1),
                        Review(judge_id=lee.id, film_id=film.id, note="", nominated=True,
                               conflict=True)])
    db.session.commit()
    table = standings(judged["contest"])
    assert_expected(table)
    assert {r.film.title: r.nominations for r in table.rows}["Z"] == 2


def test_judges_off_the_panel_and_own_films_do_not_count(db, judged, add_film):
    contest, judges, organizer = judged["contest"], judged["judges"], judged["organizer"]
    # Lee leaves the panel: L's column disappears. Hand-computed without L:
    #   H z: X 0, Y -1.224745, Z +1.224745; N z as before.
    #   W: mean 5, 1 judge, normalized -0.447214
    #   X: mean (3 + 6) / 2 = 4.5, normalized (0 + 0.447214) / 2 = 0.223607
    #   Y: mean (2 + 4) / 2 = 3, normalized (-1.224745 - 1.341641) / 2 = -1.283193
    #   Z: unchanged, 5.5 and 1.283193
    assign_judges(contest, [judges["H"].email, judges["N"].email], organizer)
    without_lee = {"W": (5.0, 1, -0.447214), "X": (4.5, 2, 0.223607),
                   "Y": (3.0, 2, -1.283193), "Z": (5.5, 2, 1.283193)}
    table = standings(contest)
    assert_expected(table, without_lee)
    assert {r.film.title: r.nominations for r in table.rows} == {"W": 1, "X": 0, "Y": 0, "Z": 2}
    # Back on the panel, Lee's rows count again.
    assign_judges(contest, [j.email for j in judges.values()], organizer)
    assert_expected(standings(contest))
    # A score of the judge's own film (written behind the operations' back) never counts.
    own = add_film("V", owner=judges["N"])
    story, craft = rubric(contest)
    db.session.add_all([Score(judge_id=judges["N"].id, film_id=own.id, criterion_id=c.id,
                              value=10) for c in (story, craft)])
    db.session.commit()
    table = standings(contest)
    assert_expected(table, {**EXPECTED, "V": (None, 0, None)})
    assert table.rows[-1].film.title == "V"  # no score: last whatever the order


def test_withdrawn_films_leave_the_standings(db, judged, clock):
    film = judged["films"]["W"]
    film.withdrawn_at = clock.now()
    db.session.commit()
    # W leaves L's and N's spreads too. Hand-computed without W:
    #   L: 9, 7     average 8, sd 1 -> z X +1, Y -1
    #   H: unchanged -> z X 0, Y -1.224745, Z +1.224745
    #   N: 6, 4, 7  average 17/3 = 5.666667, deviations +1/3, -5/3, +4/3,
    #      sd sqrt((1/9 + 25/9 + 16/9) / 3) = sqrt(14/9) = 1.247219
    #      -> z X +0.267261, Y -1.336306, Z +1.069045
    #   X: (9 + 3 + 6) / 3 = 6, normalized (1 + 0 + 0.267261) / 3 = +0.422420
    #   Y: (7 + 2 + 4) / 3 = 4.333333, normalized (-1 - 1.224745 - 1.336306) / 3 = -1.187017
    #   Z: (4 + 7) / 2 = 5.5, normalized (1.224745 + 1.069045) / 2 = +1.146895
    assert_expected(standings(judged["contest"]), {
        "X": (6.0, 3, 0.422420), "Y": (4.333333, 3, -1.187017), "Z": (5.5, 2, 1.146895)})


# --- sorting ---------------------------------------------------------------------------------


SORTED = [  # (sort, direction, titles in order)
    ("normalized", None, NORMALIZED_ORDER),
    ("normalized", "asc", NORMALIZED_ORDER[::-1]),
    ("mean", None, RAW_ORDER),
    ("mean", "asc", RAW_ORDER[::-1]),
    ("judges", "desc", ["X", "Y", "W", "Z"]),      # 3, 3, 2, 2; ties by title
    ("judges", "asc", ["W", "Z", "X", "Y"]),
    ("nominations", "desc", ["W", "Z", "X", "Y"]),
    ("votes", "desc", ["X", "Z", "W", "Y"]),
    ("title", None, ["W", "X", "Y", "Z"]),
    ("title", "desc", ["Z", "Y", "X", "W"]),
    ("verdict", None, ["X", "Y", "W", "Z"]),        # mismatch < unknown < verified
]


def test_every_column_sorts(judged):
    for sort, direction, order in SORTED:
        table = standings(judged["contest"], sort, direction)
        assert [row.film.title for row in table.rows] == order, (sort, direction)


def test_an_unknown_sort_is_refused(judged):
    for sort, direction in [("score", None), ("mean", "up"), ("", None)]:
        with pytest.raises(DomainError) as error:
            standings(judged["contest"], sort, direction)
        assert error.value.status == 400


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_has_every_column_in_the_table_order(judged, filmmaker):
    text = standings_csv(standings(judged["contest"]))
    ids = {key: film.public_id for key, film in judged["films"].items()}
    assert text.splitlines() == [
        "position,film_id,title,filmmaker,weighted_mean,judges,normalized,nominations,votes,"
        "device_verdict",
        f"1,{ids['Z']},Z,Ada Lovelace,5.500,2,1.283,2,5,verified",
        f"2,{ids['X']},X,Ada Lovelace,6.000,3,0.557,0,10,mismatch",
        f"3,{ids['W']},W,Ada Lovelace,6.500,2,-0.224,2,3,verified",
        f"4,{ids['Y']},Y,Ada Lovelace,4.333,3,-1.264,0,0,unknown",
    ]


def test_csv_cells_that_look_like_formulas_stay_text(db, judged):
    judged["films"]["W"].title = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    rows = list(csv.reader(io.StringIO(standings_csv(standings(judged["contest"], "mean")))))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")"


def test_the_csv_route_follows_the_sort(client, login, judged):
    login(client, judged["organizer"])
    response = client.get("/contests/n8/standings.csv?sort=mean")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "n8-standings.csv" in response.headers["Content-Disposition"]
    titles = [row[2] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:]
    assert titles == RAW_ORDER


# --- a fixed number of queries ----------------------------------------------------------------


@pytest.fixture
def count_queries(db):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    yield statements
    event.remove(db.engine, "before_cursor_execute", listener)


def test_standings_cost_the_same_queries_for_4_or_24_films(db, judged, add_film, person,
                                                           count_queries):
    counts = []
    for _ in range(2):
        db.session.expire_all()
        assert judged["contest"].slug  # reloaded before counting
        count_queries.clear()
        table = standings(judged["contest"])
        _ = [(row.film.owner.display_name, row.votes) for row in table.rows]
        counts.append(len(count_queries))
        for n in range(20):
            add_film(f"More {n}", owner=person(f"Owner {n}"))
    assert len(table.rows) == 24
    # rubric (exists + criteria), films with owners, their renditions, panel, reviews, scores
    assert counts == [7, 7]


# --- the page and the API ----------------------------------------------------------------------


def test_the_page_shows_numbers_sort_links_and_the_explanation(client, login, judged):
    login(client, judged["organizer"])
    page = client.get("/contests/n8/standings").get_data(as_text=True)
    assert page.index(">Z</a>") < page.index(">X</a>") < page.index(">W</a>") < page.index(">Y</a>")
    assert "+1.28" in page and "6.50" in page and "4.33" in page
    assert 'aria-sort="descending"' in page
    assert "sort=mean&amp;dir=desc" in page and "sort=normalized&amp;dir=asc" in page
    assert "z-score" in page and "panel now" in page and "conflict" in page
    by_mean = client.get("/contests/n8/standings?sort=mean&dir=asc").get_data(as_text=True)
    assert by_mean.index(">Y</a>") < by_mean.index(">Z</a>") < by_mean.index(">W</a>")
    assert client.get("/contests/n8/standings?sort=bogus").status_code == 400


def test_the_api_gives_the_standings(client, judged):
    token = issue_token(judged["organizer"])
    response = client.get("/api/v1/contests/n8/standings?sort=mean",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["sort"], body["dir"], body["panel"]) == ("mean", "desc", 3)
    assert body["criteria"] == [{"name": "Story", "weight": 2.0, "min": 1, "max": 10},
                                {"name": "Craft", "weight": 1.0, "min": 1, "max": 10}]
    assert [f["film"]["title"] for f in body["films"]] == RAW_ORDER
    first = body["films"][0]
    assert close(first["weighted_mean"], 6.5) and close(first["normalized"], -0.223607)
    assert (first["judges"], first["nominations"], first["votes"], first["device_verdict"]) == (
        2, 2, 3, "verified")
    bad = client.get("/api/v1/contests/n8/standings?sort=nope",
                     headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
