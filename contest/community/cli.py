"""`flask --app contest notify voting-open`: tell entrants that voting has opened."""
import click

from contest.community import bp
from contest.operations.notifications import notify_voting_open


@bp.cli.command("voting-open")
def voting_open():
    """Notify each filmmaker of a contest now in voting, once per contest (safe to rerun)."""
    done = notify_voting_open()
    if not done:
        click.echo("No contest has newly opened voting.")
    for slug, count in done.items():
        click.echo(f"{slug}: notified {count} filmmaker(s).")
