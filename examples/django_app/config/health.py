"""`/health/`: what the ALB health check and the deploy's smoke check ask.

It answers before any other middleware, so Django's host validation never sees the request: the
ALB's health checks carry the task's IP address as Host, which ALLOWED_HOSTS rightly refuses. It
touches neither the database nor Redis, so a blip there does not make the ALB drain every task.

The body names the release: `image` is the reference ECS started the task from (APP_IMAGE, set by
the task definition, `<repository>@sha256:<digest>` when deployed by digest), `digest` its digest,
and `release` the commit the image was built from (APP_RELEASE, baked in at build time).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PATH = "/health/"


def payload() -> dict[str, str]:
    image = settings.APP_IMAGE
    _, _, digest = image.partition("@")
    return {"status": "ok", "release": settings.APP_RELEASE, "image": image, "digest": digest}


class HealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == PATH and request.method in ("GET", "HEAD"):
            response = HttpResponse(json.dumps(payload()), content_type="application/json")
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
