"""flask CLI commands: users, contests, demo data (`flask --app contest ...`).

Each command parses its options into plain values and calls one domain
function, so the CLI obeys the same rules as the web pages and the API.
"""
import functools
import hashlib
import hmac

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Contest
from contest.models.users import ROLES
from contest.operations import contests as contest_ops
from contest.operations import users as user_ops

users_cli = AppGroup("users", help="Create accounts and grant roles.")
contests_cli = AppGroup("contests", help="Create, list and change contests.")

DEMO_EMAIL = "organizer@example.com"
DEMO_SLUG = "shot-on-n8"
DEMO_CONTEST = {
    "title": "Shot on the Nokia N8",
    "tagline": "Three minutes, one phone from 2010, no excuses.",
    "accepted_phones": ["Nokia N8-00"],
    "rules": (
        "* Shoot every frame on a **Nokia N8-00**.\n"
        "* Up to three minutes, up to three films each.\n"
        "* Editing is fine; the phone's tags must survive it."
    ),
    "prizes": "The jury's favourite and the audience's favourite each win a Nokia N8.",
}


def init_app(app):
    from contest.judging.cli import register_cli as register_judges
    from contest.uploads.cli import register as register_uploads

    app.cli.add_command(users_cli)
    app.cli.add_command(contests_cli)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    register_judges(app)
    register_uploads(app)


@click.command()
@click.option("--concurrency", "-c", type=int, default=None,
              help="Transcodes at once (default: one per CPU core).")
@with_appcontext
def worker(concurrency):
    """Run a Celery worker for transcoding and emails (needs CELERY_BROKER_URL)."""
    celery = current_app.extensions.get("celery")
    if celery is None:
        raise click.ClickException(
            "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker; without it "
            "the web process runs jobs on its own threads.")
    argv = ["worker", "--loglevel=INFO", "-Q", "contest"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    celery.worker_main(argv)


def main():
    """The `contest` console script: the same commands as `flask --app contest`."""
    from contest import create_app

    FlaskGroup(create_app=create_app, help="The film contest site.").main()


def domain_errors(command):
    """Turn a DomainError into a clean `Error: ...` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None

    return wrapper


def find_user(email):
    user = user_ops.find_by_email(email)
    if user is None:
        raise DomainError(f"No account has the email {email}.", status=404)
    return user


# --- users -------------------------------------------------------------------


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="", help="Display name (default: the part before @).")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES),
              help="A granted role; repeat for several.")
@click.option("--verified", is_flag=True, help="Mark the email address as verified.")
@domain_errors
def create_user(email, password, name, roles, verified):
    """Create an account."""
    user = user_ops.create_user(email, name, password, roles=roles, verified=verified)
    click.echo(f"Created {user.email} ({role_list(user)}).")


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@domain_errors
def grant(email, role):
    """Give an account a role."""
    user = find_user(email)
    user_ops.grant_role(user, role)
    click.echo(f"{user.email} is now: {role_list(user)}.")


@users_cli.command("revoke")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@domain_errors
def revoke(email, role):
    """Take a role away from an account."""
    user = find_user(email)
    user_ops.grant_role(user, role, granted=False)
    click.echo(f"{user.email} is now: {role_list(user)}.")


def role_list(user):
    return ", ".join(["filmmaker", *user.roles])


# --- contests ----------------------------------------------------------------

# Option name -> contest field, for the options that map one to one.
SIMPLE_OPTIONS = {
    "title": "title",
    "tagline": "tagline",
    "rules": "rules",
    "prizes": "prizes",
    "device_policy": "device_policy",
    "max_duration": "max_duration_s",
    "max_size_mb": "max_size_mb",
    "min_height": "min_height",
    "max_entries": "max_entries_per_filmmaker",
    "votes_per_account": "votes_per_account",
    "verified_voters": "voting_requires_verified_email",
    "hide_votes": "hide_votes_until_close",
    "blind_judging": "blind_judging",
    "submissions_open": "submissions_open_at",
    "submissions_close": "submissions_close_at",
    "voting_open": "voting_open_at",
    "voting_close": "voting_close_at",
    "results": "results_at",
}


def contest_options(command):
    """The settings shared by `contests create` and `contests update`."""
    options = [
        click.option("--title"),
        click.option("--tagline"),
        click.option("--rules", help="Rules as Markdown."),
        click.option("--prizes", help="Prizes as Markdown."),
        click.option("--phone", "phones", multiple=True,
                     help='An accepted phone, "Make Model"; repeat for several.'),
        click.option("--device-policy", type=click.Choice(["reject", "flag"]),
                     help="What to do with a film from another or an unknown phone."),
        click.option("--max-duration", type=int, help="Longest film, in seconds."),
        click.option("--max-size-mb", type=int, help="Largest file, in MB."),
        click.option("--min-height", type=int, help="Smallest video height, in pixels."),
        click.option("--max-entries", type=int, help="Films per filmmaker."),
        click.option("--votes-per-account", type=int,
                     help="N votes per account for the whole contest."),
        click.option("--one-vote-per-film", is_flag=True,
                     help="One vote per film (the default; undoes --votes-per-account)."),
        click.option("--verified-voters/--any-voters", default=None,
                     help="Whether voting needs a verified email."),
        click.option("--hide-votes/--show-votes", default=None,
                     help="Whether vote counts stay hidden until voting closes."),
        click.option("--blind-judging/--named-judging", default=None,
                     help="Whether judges see filmmakers' names."),
        click.option("--submissions-open", metavar="ISO", help="e.g. 2027-03-01T00:00:00Z"),
        click.option("--submissions-close", metavar="ISO"),
        click.option("--voting-open", metavar="ISO"),
        click.option("--voting-close", metavar="ISO"),
        click.option("--results", metavar="ISO", help="When the results are published."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def contest_data(options):
    """Only the options given, as the field names the domain functions take."""
    data = {field: options[name] for name, field in SIMPLE_OPTIONS.items()
            if options.get(name) is not None}
    if options.get("phones"):
        data["accepted_phones"] = list(options["phones"])
    if options.get("one_vote_per_film"):
        data["votes_per_account"] = None
    return data


@contests_cli.command("create")
@click.argument("slug")
@contest_options
@domain_errors
def create_contest(slug, **options):
    """Create a contest; times not given follow a default schedule from now."""
    contest = contest_ops.create_contest(slug, contest_data(options))
    click.echo(f"Created {contest.slug}: {contest.title} ({contest.phase()}).")
    echo_schedule(contest)


@contests_cli.command("update")
@click.argument("slug")
@contest_options
@domain_errors
def update_contest(slug, **options):
    """Change the settings given; the others stay as they are."""
    contest = contest_ops.get_contest(slug)
    data = contest_data(options)
    if not data:
        raise click.UsageError("Give at least one setting to change.")
    contest_ops.update_contest(contest, data)
    click.echo(f"Updated {contest.slug}: {contest.title} ({contest.phase()}).")
    echo_schedule(contest)


@contests_cli.command("list")
def list_contests():
    """Every contest with its phase and dates (UTC)."""
    contests = db.session.scalars(db.select(Contest).order_by(Contest.submissions_open_at)).all()
    if not contests:
        click.echo("No contests yet.")
        return
    for contest in contests:
        phones = ", ".join(phone.label for phone in contest.phones)
        click.echo(f"{contest.slug}  {contest.title}  [{contest.phase()}]  {phones}")
        echo_schedule(contest, indent="    ")


def echo_schedule(contest, indent="  "):
    for _, label, when in contest.timeline():
        click.echo(f"{indent}{label + ':':16} {when:%Y-%m-%d %H:%M} UTC")


# --- demo --------------------------------------------------------------------


@click.command("demo")
@with_appcontext
@domain_errors
def demo():
    """Make sure a demo organizer (and a sample contest) exist; print the sign-in."""
    if current_app.config["CONTEST_ENV"] == "production":
        raise click.ClickException("No demo data in production (CONTEST_ENV=production).")
    password = demo_password()
    organizer = ensure_demo_organizer(password)
    if db.session.scalar(db.select(Contest.id).limit(1)) is None:
        contest = contest_ops.create_contest(DEMO_SLUG, DEMO_CONTEST, actor=organizer)
        click.echo(f"Created the sample contest '{contest.slug}', open for entries.")
    click.echo(f"Demo organizer: {DEMO_EMAIL}  password: {password}")


def demo_password():
    """Stable for this site (derived from SECRET_KEY), so restarts keep the same sign-in."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, b"contest demo organizer", hashlib.sha256).hexdigest()
    return f"demo-{digest[:12]}"


def ensure_demo_organizer(password):
    user = user_ops.find_by_email(DEMO_EMAIL)
    if user is None:
        return user_ops.create_user(DEMO_EMAIL, "Demo Organizer", password,
                                    roles=["organizer"], verified=True)
    if not user.is_organizer:
        user_ops.grant_role(user, "organizer")
    if not user.check_password(password):
        user_ops.set_password(user, password)
    return user

