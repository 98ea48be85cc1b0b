"""Security headers sent with every response, and why.

The page and the API share one origin, so the policy can be "self and nothing else":

- Content-Security-Policy: scripts, styles, images and fetches only from this server; no inline
  script (all JS lives in files under web/), no plugins, no <base> tricks, no framing. Images may
  also be data: URLs, which is how the page shows a PNG, JPEG or GIF a run gave back; the page's
  downloads are blob: links, navigations the policy does not govern, so they need nothing here.
- X-Frame-Options (older browsers) and frame-ancestors (newer): no other site can frame the page
  and trick a learner into clicking Run (clickjacking).
- X-Content-Type-Options: nosniff, so a run's output served as JSON is never sniffed as HTML.
- Referrer-Policy: no-referrer; Cross-Origin-Opener/Resource-Policy: same-origin, so other sites
  can neither hold a handle on this window nor embed its responses.

There is deliberately NO Access-Control-Allow-Origin header (no CORS). /run executes code on the
machine that serves it; a wildcard CORS header would let any web page a learner happens to visit
post programs to their local server and read the answers.
"""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=()"),
)


def add_security_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` plus every security header it does not already carry."""
    present = {name.lower() for name, _ in headers}
    return headers + [(n, v) for n, v in SECURITY_HEADERS if n.lower() not in present]
