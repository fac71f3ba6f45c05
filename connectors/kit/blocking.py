"""The kit's HTTP rules for partners reached through ``requests`` (zeep's transport for DUO).

``PartnerAdapter`` is mounted on the session: it sends only to the configured origin (scheme,
host, port), never follows a redirect (a 3xx is ``UpstreamRejected``; requests would otherwise
follow it with the client certificate), and reads an answer streamed, refusing a
``Content-Length`` over ``max_bytes`` or more than ``max_bytes`` read (``PayloadTooLarge``).
Timeouts stay with the caller (zeep's ``operation_timeout``).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connectors.kit.http import origin_of, safe
from hub.errors import ForeignOrigin, PayloadTooLarge, UpstreamRejected

_CHUNK = 64 * 1024


class PartnerAdapter(HTTPAdapter):
    """Origin-bound, redirect-free, size-capped transport adapter."""

    def __init__(self, base_url: str, max_bytes: int) -> None:
        super().__init__()
        found = origin_of(base_url)
        if found is None:
            raise UpstreamRejected(f"{safe(base_url)}: not an absolute http(s) URL")
        self.origin, self.max_bytes = found, max_bytes

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             *args: Any, **kwargs: Any) -> requests.Response:
        """Send, then read the answer within the cap."""
        url = request.url or ""
        if origin_of(url) != self.origin:
            raise ForeignOrigin(f"{safe(url)} is not on the partner's origin; not sent")
        response = super().send(request, True, *args, **kwargs)
        if response.is_redirect:
            response.close()
            raise UpstreamRejected(f"{safe(url)}: HTTP {response.status_code} redirect not "
                                   "followed")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise PayloadTooLarge(f"{safe(url)}: Content-Length {declared} is over the "
                                  f"{self.max_bytes}-byte limit")
        chunks, got = [], 0
        for chunk in response.iter_content(_CHUNK):
            got += len(chunk)
            if got > self.max_bytes:
                response.close()
                raise PayloadTooLarge(f"{safe(url)}: answer over the {self.max_bytes}-byte "
                                      "limit")
            chunks.append(chunk)
        response._content = b"".join(chunks)  # read: later .content/.text use these bytes
        response._content_consumed = True
        return response


def bind(session: requests.Session, base_url: str, max_bytes: int) -> requests.Session:
    """Mount a ``PartnerAdapter`` for ``base_url`` on every scheme of ``session``."""
    adapter = PartnerAdapter(base_url, max_bytes)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
