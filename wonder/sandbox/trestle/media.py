"""Media downloads: the ``MediaURL`` of every current Media record, served under the sandbox.

``GET /trestle/media/Property/{ListingKey}/{MediaKey}.jpg`` answers the photo (``jpeg.py``),
counted against the media-download quota, which is separate from the query quota (API-FACTS:
18,000/hour, 480/minute). Every answer carries that quota in the same headers as a query
answer; past it the answer is 429 without ``Retry-After``. A media key the listing no longer
has (its photos changed) or an unknown listing is a 404. No token is needed: the URL is what a
listing page embeds; the download is charged to the sandbox's connection (or to the client a
bearer token names, if one is sent).
"""

from __future__ import annotations

from wonder.sandbox.faults import FaultDecision, FaultKind
from wonder.sandbox.http import Reply
from wonder.sandbox.trestle.data import listing_index
from wonder.sandbox.trestle.jpeg import JPEG, jpeg_for
from wonder.sandbox.trestle.quota import QuotaTracker
from wonder.sandbox.trestle.records import build_media
from wonder.sandbox.trestle.replies import ERROR_MESSAGES, MEDIA_PREFIX, error_reply
from wonder.sandbox.trestle.state import ListingStore

MEDIA_QUOTA_MESSAGE = "Media quota exceeded. Please slow down."


def parse_media_path(path: str) -> tuple[str, str] | None:
    """(ListingKey, MediaKey) of a media path, or None."""
    parts = path.removeprefix(MEDIA_PREFIX + "/").split("/")
    if len(parts) != 3 or parts[0] != "Property" or not parts[2].endswith(".jpg"):
        return None
    return parts[1], parts[2].removesuffix(".jpg")


class MediaDownloads:
    def __init__(self, store: ListingStore, quota: QuotaTracker) -> None:
        self.store = store
        self.quota = quota

    def download(self, path: str, client_id: str, fault: FaultDecision) -> Reply:
        if fault.kind is FaultKind.TOO_MANY:
            headers = self.quota.peek(client_id)
            headers["Minute-Quota-Available"] = "0"
            return error_reply(429, MEDIA_QUOTA_MESSAGE, headers)
        decision = self.quota.consume(client_id)
        if not decision.allowed:
            return error_reply(429, MEDIA_QUOTA_MESSAGE, decision.headers)
        if fault.kind is FaultKind.ERROR:
            status = fault.error_status
            return error_reply(status, ERROR_MESSAGES[status], decision.headers)
        body = self._photo(path)
        if body is None:
            return error_reply(404, f"No media at {path}", decision.headers)
        reply = Reply(200, body, JPEG, {**decision.headers, "Cache-Control": "max-age=86400"})
        reply.truncate = fault.truncate
        return reply

    def _photo(self, path: str) -> bytes | None:
        keys = parse_media_path(path)
        if keys is None:
            return None
        index = listing_index(keys[0])
        with self.store.lock:
            if index is None or not self.store.exists(index):
                return None
            media = build_media(self.store.seed, self.store.state(index))
        for record in media:
            if record["MediaKey"] == keys[1]:
                return jpeg_for(keys[1], record["ImageWidth"], record["ImageHeight"])
        return None
