"""Settings from environment variables, with embedded defaults for one machine."""
import os
import secrets
from pathlib import Path


def _bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


# One table for every encoder setting: (height, crf, max video kbit/s, audio kbit/s).
LADDER = [
    {"height": 1080, "crf": 23, "maxrate_k": 6000, "audio_k": 128},
    {"height": 720, "crf": 23, "maxrate_k": 3500, "audio_k": 128},
    {"height": 480, "crf": 24, "maxrate_k": 1800, "audio_k": 96},
    {"height": 360, "crf": 25, "maxrate_k": 1000, "audio_k": 96},
]

# Settings every rung shares (contest/media/transcode.py reads them; a LADDER row may
# set its own "preset").
TRANSCODE = {"preset": "veryfast", "segment_s": 4, "max_fps": 60, "poster_height": 720,
             "thumbnail_width": 320, "poster_window_s": 2}


def load_secret_key(instance_path, env):
    """Return SECRET_KEY; generate one into the instance folder outside production."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key, None
    if env == "production":
        raise RuntimeError("SECRET_KEY must be set when CONTEST_ENV=production")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
        return path.read_text().strip(), f"generated a SECRET_KEY into {path}"
    return path.read_text().strip(), None


def from_environment(instance_path):
    """Build the configuration mapping from the environment."""
    env = os.environ.get("CONTEST_ENV", "development")
    instance = Path(instance_path)
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        "CONTEST_ENV": env,
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(instance / "media")),
        "STORAGE": os.environ.get("STORAGE", "local"),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_PUBLIC_URL": os.environ.get("S3_PUBLIC_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", "us-east-1"),
        # Per-object ACLs; off for buckets without ACLs (MinIO): a bucket policy is used then.
        "S3_OBJECT_ACLS": _bool("S3_OBJECT_ACLS", True),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        "REDIS_URL": redis_url,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "contest@localhost"),
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Shared page cache: Redis when REDIS_URL is set, else each process's memory.
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url or None,
        "CACHE_KEY_PREFIX": "contest:",
        # Seconds an anonymous visitor's gallery page may be reused (0: never).
        "GALLERY_CACHE_S": _int("GALLERY_CACHE_S", 15),
        # The same for a published film's page (views are still counted on every visit).
        "FILM_CACHE_S": _int("FILM_CACHE_S", 15),
        "VOTE_RATE_LIMIT_ACCOUNT": os.environ.get("VOTE_RATE_LIMIT_ACCOUNT",
                                                  "30 per minute;300 per hour"),
        "VOTE_RATE_LIMIT_ADDRESS": os.environ.get("VOTE_RATE_LIMIT_ADDRESS",
                                                  "60 per minute;1000 per hour"),
        # werkzeug's method name; tests use a cheap one.
        "PASSWORD_HASH_METHOD": "scrypt",
        "COMMENT_RATE_LIMIT": os.environ.get("COMMENT_RATE_LIMIT", "5 per minute;100 per day"),
        "REPORT_RATE_LIMIT": os.environ.get("REPORT_RATE_LIMIT", "10 per hour"),
        # Open reports that hide a film or comment until an organizer reviews it.
        "REPORT_HIDE_THRESHOLD": _int("REPORT_HIDE_THRESHOLD", 3),
        # Base of links in emails sent outside a request when SERVER_NAME is unset.
        "SITE_URL": os.environ.get("SITE_URL", "http://localhost:5000"),
        "API_TOKEN_RATE_LIMIT": os.environ.get("API_TOKEN_RATE_LIMIT", "10 per minute"),
        "API_SIGNUP_RATE_LIMIT": os.environ.get("API_SIGNUP_RATE_LIMIT", "20 per hour"),
        "API_MAX_JSON_BYTES": _int("API_MAX_JSON_BYTES", 1024 * 1024),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "MAX_UPLOAD_MB": _int("MAX_UPLOAD_MB", 2048),
        # Resumable uploads: part size in bytes (S3 needs 5 MiB or more), and after how
        # many idle hours `flask uploads cleanup` aborts one.
        "UPLOAD_PART_SIZE": _int("UPLOAD_PART_SIZE", 8 * 1024 * 1024),
        "UPLOAD_ABANDON_AFTER_H": _int("UPLOAD_ABANDON_AFTER_H", 24),
        "TRANSCODE_TIMEOUT_S": _int("TRANSCODE_TIMEOUT_S", 3600),
        "JOB_THREADS": _int("JOB_THREADS", 1),
        # A running job whose heartbeat is older than this is taken as orphaned.
        "JOB_STALE_S": _int("JOB_STALE_S", 120),
        "JOB_BACKOFF_SCALE": 1.0,
        "JOB_RESUME_ON_START": _bool("JOB_RESUME_ON_START", True),
        "CELERY_VISIBILITY_TIMEOUT_S": _int("CELERY_VISIBILITY_TIMEOUT_S", 3600),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "LADDER": LADDER,
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if env == "production" else "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Bearer token for /metrics; without it only loopback clients may read it.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }


def _database_url(instance):
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance / 'contest.sqlite'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
