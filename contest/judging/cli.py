"""`flask --app contest judges assign SLUG EMAIL...` and `judges list SLUG`."""
import click
from flask.cli import AppGroup

from contest.errors import DomainError
from contest.extensions import db
from contest.operations import judging as ops
from contest.operations.contests import get_contest

judges_cli = AppGroup("judges", help="Assign a contest's panel of judges.")


def register_cli(app):
    app.cli.add_command(judges_cli)


def _fail(error):
    db.session.rollback()
    raise click.ClickException(error.message) from None


@judges_cli.command("assign")
@click.argument("slug")
@click.argument("emails", nargs=-1)
def assign(slug, emails):
    """Make EMAILS the panel of contest SLUG (replacing it; no emails empties it).

    Each email needs an account; assigning someone gives them the judge role.
    """
    try:
        judges = ops.assign_judges(get_contest(slug), list(emails), actor=None)
    except DomainError as error:
        _fail(error)
    click.echo(f"The panel of {slug} has {len(judges)} judge(s).")
    for judge in judges:
        click.echo(f"{judge.email}\t{judge.display_name}")


@judges_cli.command("list")
@click.argument("slug")
def list_judges(slug):
    """Show the panel of contest SLUG, one judge a line (email, name)."""
    try:
        judges = ops.panel(get_contest(slug))
    except DomainError as error:
        _fail(error)
    if not judges:
        click.echo(f"{slug} has no judges yet.")
    for judge in judges:
        click.echo(f"{judge.email}\t{judge.display_name}")
