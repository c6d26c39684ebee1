"""Rate limits for the public pages (issue 20 item 4), counted in Redis (the
product's cache), so every web process shares them: fixed windows, one INCR
per hit. The address is kept only as a keyed hash, and only for the window."""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def hit(*, bucket: str, who: str, limit: int, window_seconds: int) -> bool:
    """Counts one hit of `who` (an address, or "" for the form as a whole) in
    `bucket` for the current window; True while within `limit`, False once over
    it. Shape: one INCR (plus one SET on the window's first hit). Units: seconds."""
    window = int(time.time()) // window_seconds
    key = f"ratelimit:{bucket}:{_digest(who)}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this is the first hit of a new key
            cache.add(key, 1, timeout=window_seconds + 1)
            count = 1
    return count <= limit


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or ""


def too_many_requests(request, *, retry_after: int = 60):
    """The 429 page on the NHS frame: what happened and what to do, no detail of the limit."""
    response = render(
        request, "public/rate_limited.html", {"retry_after_minutes": max(1, retry_after // 60)}, status=429
    )
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response
