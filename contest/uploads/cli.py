"""`flask uploads cleanup` and `flask storage cors`: upkeep of resumable uploads."""
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from contest.errors import DomainError
from contest.operations import uploads as ops

uploads_cli = AppGroup("uploads", help="Resumable uploads in progress.")
storage_cli = AppGroup("storage", help="Media storage settings.")


def register(app):
    app.cli.add_command(uploads_cli)
    app.cli.add_command(storage_cli)


@uploads_cli.command("cleanup")
def cleanup():
    """Abort uploads idle longer than UPLOAD_ABANDON_AFTER_H hours (and, on S3,
    multipart uploads that no upload knows)."""
    rows, orphans = ops.cleanup_abandoned()
    hours = current_app.config.get("UPLOAD_ABANDON_AFTER_H", 24)
    click.echo(f"Aborted {rows} abandoned upload(s) and {orphans} unknown S3 multipart "
               f"upload(s) older than {hours} h.")


@storage_cli.command("cors")
@click.option("--origin", "origins", multiple=True,
              help="The site's origin (scheme://host[:port]); repeat for several. "
                   "Default: PREFERRED_URL_SCHEME://SERVER_NAME.")
def cors(origins):
    """Set the bucket's CORS rules for direct uploads from the browser."""
    origins = [_origin(o) for o in origins] or _configured_origin()
    try:
        rules = ops.set_bucket_cors(origins)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    for rule in rules:
        click.echo(f"{','.join(rule['AllowedMethods'])} from {','.join(rule['AllowedOrigins'])}"
                   + (f", exposing {','.join(rule['ExposeHeaders'])}"
                      if rule.get("ExposeHeaders") else ""))


def _origin(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise click.BadParameter(f"{value!r} is not an origin like https://films.example.org")
    return f"{parts.scheme}://{parts.netloc}"


def _configured_origin():
    name = current_app.config.get("SERVER_NAME")
    scheme = current_app.config.get("PREFERRED_URL_SCHEME", "https")
    return [f"{scheme}://{name}"] if name else []
