"""The security headers every response carries, as data: CloudFront's response headers policy for
the distribution, and the same headers in Amplify's `customHeaders` for the front end."""

from __future__ import annotations

from typing import Any

FRAME_OPTION = "DENY"
REFERRER_POLICY = "strict-origin-when-cross-origin"


def security_headers_config(hsts_max_age_seconds: int) -> dict[str, Any]:
    """The `security_headers_config` of the distribution's response headers policy.

    Our own rather than Managed-SecurityHeadersPolicy: that one sends SAMEORIGIN frames and a
    one-year HSTS; we deny framing outright and keep HSTS as long as configured."""
    return {
        "strict_transport_security": {
            "access_control_max_age_sec": hsts_max_age_seconds,
            "include_subdomains": True,
            # Preloading commits the whole domain to HTTPS in browsers for months: the domain
            # owner's decision, not a default.
            "preload": False,
            "override": True,
        },
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": FRAME_OPTION, "override": True},
        "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
        # The legacy XSS auditor causes more harm than it prevents; `0` switches it off.
        "xss_protection": {"protection": False, "override": True},
    }


def amplify_custom_headers(hsts_max_age_seconds: int) -> str:
    """Amplify's `customHeaders` (YAML): the distribution's security headers on every path."""
    return "\n".join(
        [
            "customHeaders:",
            "  - pattern: '**'",
            "    headers:",
            "      - key: Strict-Transport-Security",
            f"        value: max-age={hsts_max_age_seconds}; includeSubDomains",
            "      - key: X-Content-Type-Options",
            "        value: nosniff",
            "      - key: X-Frame-Options",
            f"        value: {FRAME_OPTION}",
            "      - key: Referrer-Policy",
            f"        value: {REFERRER_POLICY}",
            "",
        ]
    )
