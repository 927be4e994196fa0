"""The film contest site: create_app() assembles it."""
import logging
from pathlib import Path

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from contest import config
from contest.extensions import cache, csrf, db, limiter, login_manager, migrate
from contest.extensions import mail as mailman

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def create_app(test_config=None):
    """Build the application; test_config overrides the environment."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    _configure_secret(app)
    if not app.config.get("MAIL_BACKEND"):
        # Without a mail server, emails go to the log so the demo still works.
        smtp = app.config["MAIL_SERVER"]
        app.config["MAIL_BACKEND"] = "smtp" if smtp else "contest.mail.EmailBackend"
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    register_extensions(app)
    register_monitoring(app)
    if app.config["CELERY_BROKER_URL"]:
        from contest.tasks import celery_init_app

        celery_init_app(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    from contest import cli

    cli.init_app(app)
    return app


def _configure_secret(app):
    if app.config.get("SECRET_KEY"):
        return
    key, message = config.load_secret_key(app.instance_path, app.config["CONTEST_ENV"])
    app.config["SECRET_KEY"] = key
    if message:
        log.warning(message)


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    mailman.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from contest.models import User

    @login_manager.user_loader
    def load_user(user_id):
        user = db.session.scalar(db.select(User).filter_by(public_id=user_id))
        return user if user is not None and user.is_active else None


def register_monitoring(app):
    from contest.ops import logs, metrics

    logs.init_app(app)
    metrics.init_app(app)


def register_blueprints(app):
    from contest.admin import bp as admin_bp
    from contest.api import bp as api_bp
    from contest.auth import bp as auth_bp
    from contest.community import bp as community_bp
    from contest.files import bp as files_bp
    from contest.gallery import bp as gallery_bp
    from contest.judging import bp as judging_bp
    from contest.ops import bp as ops_bp
    from contest.results import bp as results_bp
    from contest.submit import bp as submit_bp
    from contest.uploads import bp as uploads_bp

    app.register_blueprint(gallery_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(submit_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(judging_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(admin_bp)


def register_errorhandlers(app):
    from contest.errors import init_app

    init_app(app)


def register_security_headers(app):
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # Only the embed page may be framed by other sites; it sets its own header.
        if not request.endpoint or not request.endpoint.endswith(".embed"):
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def register_template_helpers(app):
    from contest import text

    app.jinja_env.filters["markdown"] = text.markdown
    app.jinja_env.filters["when"] = text.when
    app.jinja_env.filters["duration"] = text.duration
