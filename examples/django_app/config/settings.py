"""Settings read from exactly the environment the platform's task definitions provide.

Plain environment (DATABASE_HOST, REDIS_HOST, MEDIA_BUCKET_NAME, ...) says where things are; the
task secrets (DJANGO_SECRET_KEY, REDIS_AUTH_TOKEN, and for the web task alone
MEDIA_SIGNING_PRIVATE_KEY) are injected by ECS from Secrets Manager. The
database takes no password: DATABASE_AUTH=iam, and each new connection signs an IAM token
(config/iam_postgresql). A variable the tasks always set is read with `required`, so a missing one stops
the process at start with its name instead of failing on the first request. tests/
test_django_example.py compares these names with the container definitions the program plans.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: the platform's task definitions set it")
    return value


def optional(name: str, default: str) -> str:
    return os.environ.get(name) or default


def listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = required("DJANGO_SECRET_KEY")
DEBUG = optional("DEBUG", "False") == "True"
ALLOWED_HOSTS = listed(required("ALLOWED_HOSTS"))
CSRF_TRUSTED_ORIGINS = listed(optional("CSRF_TRUSTED_ORIGINS", ""))
# CloudFront sends the ALB's name as Host and the site's in X-Forwarded-Host (both are allowed);
# the ALB sets X-Forwarded-Proto to the scheme CloudFront used, always https.
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# The release: the image reference ECS started (set by the task definition) and the commit the
# image was built from (baked into the image). /health/ reports both.
APP_IMAGE = optional("APP_IMAGE", "unknown")
APP_RELEASE = optional("APP_RELEASE", "unknown")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "storages",
]
MIDDLEWARE = [
    "config.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- PostgreSQL: the primary, and one alias per read replica (`.using("replica1")`) -------------
_database = {
    # IAM tokens as passwords when DATABASE_AUTH=iam (what the platform sets); plain PostgreSQL else.
    "ENGINE": "config.iam_postgresql",
    "HOST": required("DATABASE_HOST"),
    "PORT": required("DATABASE_PORT"),
    "NAME": required("DATABASE_NAME"),
    "USER": required("DATABASE_USER"),
    "AUTH": required("DATABASE_AUTH"),
    # libpq would read PGSSLMODE itself; naming it here makes the requirement visible.
    "OPTIONS": {"sslmode": optional("PGSSLMODE", "require")},
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
}
DATABASES = {"default": _database}
for _index, _host in enumerate(listed(optional("DATABASE_READER_HOSTS", "")), start=1):
    DATABASES[f"replica{_index}"] = {**_database, "HOST": _host, "TEST": {"MIRROR": "default"}}

# --- Redis: cache and Celery broker, TLS and AUTH ----------------------------------------------
_scheme = "rediss" if optional("REDIS_TLS", "true") == "true" else "redis"
_auth = f":{quote(required('REDIS_AUTH_TOKEN'), safe='')}@"
_port = required("REDIS_PORT")
_primary = f"{_scheme}://{_auth}{required('REDIS_HOST')}:{_port}"
_reader = f"{_scheme}://{_auth}{optional('REDIS_READER_HOST', required('REDIS_HOST'))}:{_port}"
# ElastiCache's certificates are public ones: verify them (Celery refuses rediss:// without this).
_tls = "?ssl_cert_reqs=required" if _scheme == "rediss" else ""
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # The first location takes writes, the others serve reads.
        "LOCATION": [f"{_primary}/0", f"{_reader}/0"],
    }
}
CELERY_BROKER_URL = f"{_primary}/1{_tls}"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- S3 through django-storages ------------------------------------------------------------------
# Credentials come from the task role (the SDK's container provider), never from settings. CloudFront
# serves /static/* and /media/* from the buckets' `static/` and `media/` prefixes.
AWS_S3_REGION_NAME = required("AWS_REGION")
# Each release's files live under their own prefix: old tasks keep their CSS during a rollout, and
# no manifest has to be read back from the bucket (web tasks may not read it).
STATIC_PREFIX = f"static/{APP_RELEASE}"
STATIC_URL = f"/{STATIC_PREFIX}/"
STATIC_ROOT = "/tmp/static"  # unused by S3 storage; collectstatic requires it to be set
# Private media (payment proofs, certificates) are served by CloudFront at /media/* only with a
# signature. The web task alone holds the signing key (MEDIA_SIGNING_KEY_ID is CloudFront's id of
# the public half, MEDIA_SIGNING_PRIVATE_KEY the PEM private key): its URLs are CloudFront signed
# URLs on the site's host, valid MEDIA_URL_SECONDS. Tasks without the key (worker, beat, release
# tasks) and stacks without one fall back to presigned S3 URLs, bounded by the task role.
MEDIA_SIGNING_KEY_ID = optional("MEDIA_SIGNING_KEY_ID", "")
_media_signing_key = optional("MEDIA_SIGNING_PRIVATE_KEY", "")
if bool(MEDIA_SIGNING_KEY_ID) != bool(_media_signing_key):
    raise ImproperlyConfigured("MEDIA_SIGNING_KEY_ID and MEDIA_SIGNING_PRIVATE_KEY come together")
MEDIA_URL_SECONDS = 300
# The site's host (CloudFront), where /media/* is served: the first trusted origin.
SITE_HOST = CSRF_TRUSTED_ORIGINS[0].partition("://")[2] if CSRF_TRUSTED_ORIGINS else ""
if MEDIA_SIGNING_KEY_ID and not SITE_HOST:
    raise ImproperlyConfigured("signed media URLs need the site's origin in CSRF_TRUSTED_ORIGINS")
_media = {
    "bucket_name": required("MEDIA_BUCKET_NAME"),
    "file_overwrite": False,
    "signature_version": "s3v4",
}
_private_media = {
    **_media,
    "location": "media",
    # Signed URLs either way: CloudFront's with the key, else presigned S3 GETs (uploads always go
    # straight to S3 with presigned PUT/POST).
    "querystring_auth": True,
    "querystring_expire": MEDIA_URL_SECONDS,
}
if MEDIA_SIGNING_KEY_ID:
    _private_media |= {
        "custom_domain": SITE_HOST,
        "cloudfront_key_id": MEDIA_SIGNING_KEY_ID,
        "cloudfront_key": _media_signing_key,
    }
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _private_media},
    # Truly public files (event flyers): CloudFront serves /media/public/* without a signature.
    "public": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_media,
            "location": "media/public",
            "querystring_auth": bool(not SITE_HOST),
            **({"custom_domain": SITE_HOST} if SITE_HOST else {}),
        },
    },
    "staticfiles": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": required("STATIC_BUCKET_NAME"),
            "location": STATIC_PREFIX,
            "querystring_auth": False,
            "file_overwrite": True,
        },
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stdout": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stdout"], "level": "INFO"},
}
