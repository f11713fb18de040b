#!/usr/bin/env python3
"""Smoke check of a release: `/health/` must answer 200 with the digest just deployed.

    python scripts/smoke_check.py --url https://d111.cloudfront.net/health/ --digest sha256:<64 hex>

A 200 from the previous release is not enough: `pulumi up` has waited for the services' steady
state, so the new tasks serve, and this proves it by the body (examples/django_app/config/health.py):
`{"status": "ok", "digest": "sha256:...", "image": "<repo>@sha256:...", "release": "<commit>"}`.
It retries while CloudFront or the ALB still route to draining tasks, and exits 1 if no attempt
succeeds, printing each answer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


def judge(status: int, body: str, expected_digest: str) -> Verdict:
    """Whether one answer of /health/ proves that the release with `expected_digest` serves."""
    if status != 200:
        return Verdict(False, f"HTTP {status}")
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return Verdict(False, f"not JSON: {body[:80]!r}")
    if not isinstance(document, dict):
        return Verdict(False, f"not a JSON object: {body[:80]!r}")
    if document.get("status") != "ok":
        return Verdict(False, f"status {document.get('status')!r}")
    digest = document.get("digest") or str(document.get("image", "")).partition("@")[2]
    if digest != expected_digest:
        return Verdict(False, f"serving {digest or 'an image without a digest'}, not {expected_digest}")
    return Verdict(True, f"serving {digest} (release {document.get('release', 'unknown')})")


Fetch = Callable[[str, float], tuple[int, str]]


def fetch(url: str, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cache-Control": "no-cache", "User-Agent": "smoke-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(4096).decode("utf-8", "replace")


def check(
    url: str,
    digest: str,
    *,
    attempts: int,
    delay: float,
    timeout: float = 15.0,
    get: Fetch = fetch,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    for attempt in range(1, attempts + 1):
        try:
            status, body = get(url, timeout)
            verdict = judge(status, body, digest)
        except (OSError, ValueError) as error:
            verdict = Verdict(False, f"no answer ({error})")
        print(f"attempt {attempt}/{attempts}: {url}: {verdict.reason}", flush=True)
        if verdict.ok:
            return True
        if attempt < attempts:
            sleep(delay)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the /health/ URL of the site")
    parser.add_argument("--digest", required=True, help="sha256:<hex> of the image just deployed")
    parser.add_argument("--attempts", type=int, default=20)
    parser.add_argument("--delay", type=float, default=15.0, help="seconds between attempts")
    args = parser.parse_args(argv)
    if not DIGEST.match(args.digest):
        parser.error(f"--digest {args.digest!r}: expected sha256:<64 lower-case hex digits>")
    if not args.url.startswith("https://"):
        parser.error(f"--url {args.url!r}: expected an https:// URL")
    if check(args.url, args.digest, attempts=args.attempts, delay=args.delay):
        return 0
    print(f"::error::{args.url} never served {args.digest}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
