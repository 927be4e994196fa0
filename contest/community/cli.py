"""`flask --app contest notify voting-open|results`: tell entrants what happened."""
import click

from contest.community import bp
from contest.operations.notifications import notify_results, notify_voting_open


@bp.cli.command("voting-open")
def voting_open():
    """Notify each filmmaker of a contest now in voting, once per contest (safe to rerun)."""
    done = notify_voting_open()
    if not done:
        click.echo("No contest has newly opened voting.")
    for slug, count in done.items():
        click.echo(f"{slug}: notified {count} filmmaker(s).")


@bp.cli.command("results")
def results():
    """Tell shortlisted filmmakers and winners once results are public (safe to rerun)."""
    done = notify_results()
    if not done:
        click.echo("No contest has newly published results.")
    for slug, count in done.items():
        click.echo(f"{slug}: sent {count} notice(s).")
