"""Django's own test client on /health/ and the settings, with the environment a web task gets.

Run by tests/test_django_example.py (`python manage.py test config`) in a process whose environment
is taken from the program's planned web container definition.
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.test import SimpleTestCase


class HealthTests(SimpleTestCase):
    def test_health_reports_the_running_image_digest_and_release(self) -> None:
        response = self.client.get("/health/")
        self.assertEqual(response.status_code, 200)
        body = json.loads(response.content)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["image"], os.environ["APP_IMAGE"])
        self.assertEqual(body["digest"], os.environ["APP_IMAGE"].partition("@")[2])
        self.assertEqual(body["release"], os.environ["APP_RELEASE"])
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_health_answers_the_alb_health_check_whose_host_is_an_ip(self) -> None:
        response = self.client.get("/health/", HTTP_HOST="10.20.3.17:8000")
        self.assertEqual(response.status_code, 200)

    def test_other_paths_still_validate_the_host(self) -> None:
        response = self.client.get("/", HTTP_HOST="attacker.example")
        self.assertEqual(response.status_code, 400)

    def test_the_site_host_from_cloudfront_is_accepted(self) -> None:
        site = settings.ALLOWED_HOSTS[-1]
        response = self.client.get(
            "/nowhere/", HTTP_HOST=settings.ALLOWED_HOSTS[0], HTTP_X_FORWARDED_HOST=site
        )
        self.assertEqual(response.status_code, 404)


class SettingsTests(SimpleTestCase):
    def test_production_safety(self) -> None:
        self.assertFalse(settings.DEBUG)
        self.assertNotIn("*", settings.ALLOWED_HOSTS)
        self.assertTrue(settings.SESSION_COOKIE_SECURE)

    def test_database_uses_tls_and_the_injected_credentials(self) -> None:
        default = settings.DATABASES["default"]
        self.assertEqual(default["HOST"], os.environ["DATABASE_HOST"])
        self.assertEqual(default["USER"], os.environ["DATABASE_USER"])
        self.assertEqual(default["OPTIONS"]["sslmode"], "require")
        readers = [h for h in os.environ["DATABASE_READER_HOSTS"].split(",") if h]
        self.assertEqual(len(settings.DATABASES) - 1, len(readers))

    def test_each_new_connection_signs_an_iam_token_as_its_password(self) -> None:
        from unittest import mock

        from django.db import connections

        default = settings.DATABASES["default"]
        self.assertEqual(default["AUTH"], "iam")
        self.assertNotIn("DATABASE_PASSWORD", os.environ)
        with mock.patch("config.iam_postgresql.base.auth_token", return_value="signed-token") as sign:
            params = connections["default"].get_connection_params()
        self.assertEqual(params["password"], "signed-token")
        sign.assert_called_once_with(
            os.environ["DATABASE_HOST"],
            int(os.environ["DATABASE_PORT"]),
            os.environ["DATABASE_USER"],
            os.environ["AWS_REGION"],
        )

    def test_redis_is_reached_over_verified_tls_with_the_token(self) -> None:
        broker = settings.CELERY_BROKER_URL
        self.assertTrue(broker.startswith("rediss://:"), broker)
        self.assertIn(os.environ["REDIS_HOST"], broker)
        self.assertTrue(broker.endswith("?ssl_cert_reqs=required"))

    def test_media_and_static_go_to_their_buckets(self) -> None:
        storages = settings.STORAGES
        self.assertEqual(storages["default"]["OPTIONS"]["bucket_name"], os.environ["MEDIA_BUCKET_NAME"])
        self.assertEqual(storages["staticfiles"]["OPTIONS"]["bucket_name"], os.environ["STATIC_BUCKET_NAME"])
        # CloudFront serves /static/* from the bucket's static/ prefix.
        self.assertEqual(settings.STATIC_URL, f"/{storages['staticfiles']['OPTIONS']['location']}/")
        self.assertTrue(settings.STATIC_URL.startswith("/static/"))

    def test_the_celery_app_reads_the_broker_from_settings(self) -> None:
        from config.celery import app

        self.assertEqual(app.conf.broker_url, settings.CELERY_BROKER_URL)


class MediaTests(SimpleTestCase):
    """Private media: CloudFront signed URLs when the web task holds the key; public files unsigned."""

    def test_private_media_urls_carry_a_cloudfront_signature(self) -> None:
        from django.core.files.storage import storages

        if not settings.MEDIA_SIGNING_KEY_ID:
            self.skipTest("this task has no media signing key")
        url = storages["default"].url("proofs/42/payment.pdf")
        self.assertTrue(url.startswith(f"https://{settings.SITE_HOST}/media/proofs/42/payment.pdf?"), url)
        for part in ("Expires=", "Signature=", f"Key-Pair-Id={os.environ['MEDIA_SIGNING_KEY_ID']}"):
            self.assertIn(part, url)

    def test_public_media_urls_are_plain_cloudfront_urls(self) -> None:
        from django.core.files.storage import storages

        url = storages["public"].url("flyers/launch.png")
        self.assertEqual(url, f"https://{settings.SITE_HOST}/media/public/flyers/launch.png")
