"""The CloudFront Function code the distribution runs on viewer requests."""

from __future__ import annotations

# The viewer's Host header, copied before CloudFront replaces it with the origin's name, so that
# Django (USE_X_FORWARDED_HOST = True) builds absolute URLs with the site's real host.
FORWARDED_HOST_HEADER = "X-Forwarded-Host"
FORWARDED_HOST_FUNCTION = """\
function handler(event) {
    var request = event.request;
    // Overwrite whatever the viewer sent: only the Host CloudFront accepted may reach Django.
    request.headers['x-forwarded-host'] = { value: request.headers.host.value };
    return request;
}
"""
