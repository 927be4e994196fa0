"""Entering a film end to end: upload, phone check, one-pass transcode, storage, jobs."""
import io
from pathlib import Path

import pytest
from clips import ANDROID_PIXEL, NOKIA_N8, make_clip

from contest.jobs import run_job, thread_runner
from contest.models import Film, Job
from contest.storage import InvalidKey, get_storage


@pytest.fixture
def contest(make_contest):
    return make_contest("n8", max_entries_per_filmmaker=2, max_size_mb=5, min_height=120)


@pytest.fixture
def nokia_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "n8.mp4", tags=NOKIA_N8)


def upload(client, slug, path, title="Morning light", name=None, **extra):
    data = {"title": title, "description": "A *short* film.", "agree": "y",
            "file": (open(path, "rb"), name or Path(path).name), **extra}
    return client.post(f"/contests/{slug}/enter", data=data,
                       content_type="multipart/form-data")


def media_files(app):
    root = Path(app.config["MEDIA_ROOT"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def wait(app):
    assert thread_runner(app).wait(120), "jobs did not finish in time"


def test_upload_through_the_form_is_processed_and_published(
        app, client, db, make_user, login, contest, nokia_clip):
    user = login(client, make_user())
    response = upload(client, "n8", nokia_clip, name="MOV_0001.mp4")
    assert response.status_code == 302
    film = db.session.scalar(db.select(Film))
    assert response.headers["Location"].endswith(f"/films/{film.public_id}/status")
    assert film.owner_id == user.id and film.original_name == "MOV_0001.mp4"
    assert film.original_key.startswith(f"originals/{film.public_id}/")
    assert "MOV_0001" not in film.original_key
    assert film.device_verdict == "verified"
    wait(app)
    db.session.expire_all()
    assert film.status == "ready", film.error
    assert [r.height for r in film.renditions] == [240]
    storage = get_storage()
    for key in (film.hls_key, film.poster_key, film.thumbnail_key, film.renditions[0].key):
        assert storage.exists(key), key
    progress = client.get(f"/films/{film.public_id}/progress").get_json()
    assert progress == {"status": "ready", "progress": 100, "stage": "Ready", "error": None}
    page = client.get(f"/films/{film.public_id}/status").get_data(as_text=True)
    assert "<video" in page and "Verified: shot on Nokia N8-00" in page


def test_ajax_upload_answers_json(client, make_user, login, contest, nokia_clip, app):
    login(client, make_user())
    data = {"title": "T", "agree": "y", "file": (open(nokia_clip, "rb"), "a.mp4")}
    response = client.post("/contests/n8/enter", data=data, content_type="multipart/form-data",
                           headers={"Accept": "application/json"})
    assert response.status_code == 202
    assert response.get_json()["redirect"].endswith("/status")
    wait(app)


@pytest.mark.parametrize("content, message", [
    (b"#EXTM3U\n#EXTINF:1,\nother.mp4\n", "not a video"),
    (b"just some text", "not a video"),
    (b"", "empty"),
])
def test_refused_file_leaves_nothing_behind(client, db, make_user, login, contest, app,
                                            content, message):
    login(client, make_user())
    data = {"title": "T", "agree": "y", "file": (io.BytesIO(content), "film.mp4")}
    response = client.post("/contests/n8/enter", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).lower()
    assert db.session.scalar(db.select(db.func.count(Film.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0
    assert media_files(app) == []


def test_phone_mismatch_is_refused_under_reject_policy(client, make_user, login, contest,
                                                       tmp_path, db, app):
    login(client, make_user())
    clip = make_clip(tmp_path / "pixel.mp4", tags=ANDROID_PIXEL)
    response = upload(client, "n8", clip)
    assert response.status_code == 422
    assert "Google Pixel 8" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Film.id))) == 0
    assert media_files(app) == []


def test_phone_mismatch_is_flagged_under_flag_policy(client, make_user, login, make_contest,
                                                     tmp_path, db, app):
    make_contest("flagged", device_policy="flag", min_height=120)
    login(client, make_user())
    response = upload(client, "flagged", make_clip(tmp_path / "p.mp4", tags=ANDROID_PIXEL))
    assert response.status_code == 302
    film = db.session.scalar(db.select(Film))
    assert film.device_verdict == "mismatch" and film.flagged
    wait(app)


def test_entry_limit_and_window_are_enforced(client, make_user, login, contest, nokia_clip,
                                             clock, app):
    login(client, make_user())
    assert upload(client, "n8", nokia_clip).status_code == 302
    assert upload(client, "n8", nokia_clip).status_code == 302
    third = upload(client, "n8", nokia_clip)
    assert third.status_code == 409
    assert "2 of 2" in third.get_data(as_text=True)
    wait(app)
    clock.advance(days=60)
    assert client.get("/contests/n8/enter").status_code == 403


def test_oversized_body_is_refused_before_it_is_read(client, make_user, login, contest, db):
    login(client, make_user())
    huge = 50 * 1024 * 1024
    response = client.post("/contests/n8/enter", data=b"x" * 10,
                           content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(huge)})
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)


def test_entering_needs_an_account(client, contest):
    response = client.get("/contests/n8/enter")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_status_page_is_private_to_the_filmmaker(client, make_user, login, contest,
                                                 nokia_clip, db, app):
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    film = db.session.scalar(db.select(Film))
    wait(app)
    other = app.test_client()
    login(other, make_user())
    assert other.get(f"/films/{film.public_id}/status").status_code == 404
    assert other.get(f"/films/{film.public_id}/progress").status_code == 404
    organizer = app.test_client()
    login(organizer, make_user(roles=["organizer"]))
    assert organizer.get(f"/films/{film.public_id}/status").status_code == 200


def test_original_is_never_served_publicly(client, make_user, login, contest, nokia_clip,
                                           db, app):
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    wait(app)
    film = db.session.scalar(db.select(Film))
    assert app.test_client().get(f"/media/{film.original_key}").status_code == 404
    with pytest.raises(InvalidKey):
        get_storage().url(film.original_key)


def test_running_a_job_twice_gives_the_same_outputs(client, make_user, login, contest,
                                                    nokia_clip, db, app):
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    wait(app)
    film = db.session.scalar(db.select(Film))
    first = ([(r.height, r.width, r.key) for r in film.renditions], film.hls_key,
             media_files(app))
    job = film.jobs[-1]
    job.state = "queued"
    db.session.commit()
    assert run_job(job.id) == "done"
    db.session.expire_all()
    second = ([(r.height, r.width, r.key) for r in film.renditions], film.hls_key,
              media_files(app))
    assert first == second
    assert film.status == "ready"


def test_a_changed_original_fails_the_film_but_keeps_the_original(
        client, make_user, login, contest, nokia_clip, db, app):
    app.config["JOB_RESUME_ON_START"] = False
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    wait(app)
    film = db.session.scalar(db.select(Film))
    path = Path(app.config["MEDIA_ROOT"]) / film.original_key
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    job = film.jobs[-1]
    job.state = "queued"
    db.session.commit()
    assert run_job(job.id) == "failed"
    db.session.expire_all()
    assert film.status == "failed" and "does not match" in film.error
    assert path.exists()


def test_a_crashing_job_is_retried_then_failed(client, make_user, login, contest, nokia_clip,
                                               db, app):
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    wait(app)
    film = db.session.scalar(db.select(Film))
    get_storage().delete(film.original_key)
    job = film.jobs[-1]
    job.state, job.attempts = "queued", 0
    db.session.commit()
    outcomes = [run_job(job.id) for _ in range(3)]
    assert outcomes == ["retry", "retry", "failed"]
    db.session.expire_all()
    assert film.status == "failed" and "organizer can retry" in film.error


def test_a_job_left_running_by_a_dead_worker_is_resumed(client, make_user, login, contest,
                                                        nokia_clip, db, app, clock):
    login(client, make_user())
    upload(client, "n8", nokia_clip)
    wait(app)
    film = db.session.scalar(db.select(Film))
    job = film.jobs[-1]
    job.state, job.worker = "running", "gone-host:1:1"
    job.heartbeat_at = clock.now()
    db.session.commit()
    assert run_job(job.id) == "busy"
    clock.advance(seconds=app.config["JOB_STALE_S"] + 1)
    thread_runner(app).resume()
    wait(app)
    db.session.expire_all()
    assert job.state == "done" and job.attempts == 2
