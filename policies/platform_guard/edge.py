"""Edge: HTTPS for viewers, TLS 1.2 at least, HTTP listeners that only redirect, strict header parsing.

The rules live in edge_cloudfront.py and edge_load_balancer.py; this module lists them in the pack's
order.
"""

from __future__ import annotations

from pulumi_policy import Policy

from .edge_cloudfront import (
    cloudfront_https_only,
    cloudfront_minimum_tls,
    cloudfront_origin_tls,
    cloudfront_private_media_signed,
    prod_cloudfront_vpc_origin_https,
)
from .edge_load_balancer import (
    alb_drops_invalid_headers,
    lb_http_redirects_to_https,
    lb_listener_modern_tls,
    prod_alb_behind_cloudfront,
)

POLICIES: list[Policy] = [
    cloudfront_https_only,
    cloudfront_minimum_tls,
    lb_http_redirects_to_https,
    alb_drops_invalid_headers,
    cloudfront_origin_tls,
    lb_listener_modern_tls,
    cloudfront_private_media_signed,
    prod_alb_behind_cloudfront,
    prod_cloudfront_vpc_origin_https,
]
