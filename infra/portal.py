"""The portal's security headers, one definition for the local server and CloudFront.

The Content-Security-Policy allows scripts from the portal's own origin only
(no inline script, no eval): the portal is native ES modules. Where the
browser may connect besides: the API, the upload bucket (presigned POST), and
in deployed stages the user pool's domain (code exchange) and the LiveChat's
WebSocket.
"""

from __future__ import annotations

from collections.abc import Iterable


def content_security_policy(connect: Iterable[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str) -> dict[str, str]:
    """Every header the portal's responses carry (CloudFront sets the same ones)."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    }


# --- deployed stages: the portal on CloudFront ------------------------------------------------

# Paths without an extension are pages: the portal's router (web/app.js) shows them
# from index.html, as infra/local/web.py does on the local stack.
PAGE_REWRITE = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) { request.uri = '/index.html'; }
  return request;
}"""
# The design system's files the portal loads (infra/portal_deploy.py uploads them under dsfr/).
DSFR_FILES = (
    "dsfr.min.css",
    "dsfr.module.min.js",
    "utility/icons/icons.min.css",
    "icons",
    "fonts",
    "favicon",
)
