"""The Feeds API 2021-06-30 calls of an upload: createFeedDocument, the upload to its
presigned URL, createFeed, getFeed, getFeeds, getFeedDocument and the result document's
download. Each answer is checked against what was asked (feed id, feed type, document id,
marketplace) before anything more is sent; only createFeed is not blindly retried after a
5xx or a lost answer (CreateFeedUnclear: the caller looks it up with getFeeds)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpapiError, UploadExpired
from . import transport
from .session import Session
from .vocabulary import FEED_STATUSES, FEED_TYPE, FEEDS, GZIP, UPLOAD_CONTENT_TYPE


@dataclass(frozen=True)
class FeedDocument:
    """A result document's download location (getFeedDocument)."""

    document_id: str
    url: str = field(repr=False)  # presigned: valid 5 minutes
    compression: str | None = None


class FeedsApi(Session):
    """The Feeds API operations of a session."""

    def create_feed_document(self, content_type: str = UPLOAD_CONTENT_TYPE) -> tuple[str, str]:
        """createFeedDocument: `(feedDocumentId, presigned upload url)`."""
        found = self._call(
            "createFeedDocument", "POST", f"{FEEDS}/documents", json={"contentType": content_type}
        )
        url = self._field(found, "url", "createFeedDocument")
        document_id = found.get("feedDocumentId")
        return (
            self.identifier(document_id, "feedDocumentId", "createFeedDocument"),
            self._document_url(url, "createFeedDocument"),
        )

    def upload(self, url: str, content: bytes, content_type: str = UPLOAD_CONTENT_TYPE) -> None:
        """PUT the exact bytes to the presigned URL, with the declared Content-Type and no
        access token. UploadExpired when the URL is refused (it is valid 5 minutes)."""
        self._document_url(url, "upload")
        response = self._send(
            "upload", "PUT", url, content=content, headers={"content-type": content_type}
        )
        if response.status_code in (400, 403):
            raise UploadExpired(
                f"upload: the presigned URL was refused (HTTP {response.status_code}: "
                f"{self._amazon_says(response)})"
            )
        if response.status_code >= 300:
            raise SpapiError(f"upload: HTTP {response.status_code}", code="spapi_refused")

    def create_feed(self, document_id: str, marketplace_id: str) -> str:
        """createFeed for one marketplace: the feedId. CreateFeedUnclear after a 5xx or a
        lost answer: the feed may exist, look it up before calling again; SpapiRefused
        after a definite refusal (4xx): Amazon created nothing."""
        body = {
            "feedType": FEED_TYPE,
            "marketplaceIds": [marketplace_id],
            "inputFeedDocumentId": document_id,
        }
        found = self._call(
            "createFeed", "POST", f"{FEEDS}/feeds", json=body, retry_server_errors=False
        )
        return self.identifier(found.get("feedId"), "feedId", "createFeed")

    def get_feed(self, feed_id: str, marketplace_id: str | None = None) -> dict:
        """getFeed: the Feed (feedId, processingStatus, resultFeedDocumentId, ...), checked
        to be the feed asked for: its id, this feed type, the batch's one marketplace."""
        found = self._call("getFeed", "GET", f"{FEEDS}/feeds/{feed_id}")
        marketplace_id = marketplace_id or self.market.marketplace_id
        if found.get("feedId") != feed_id:
            raise self._mismatch("getFeed", "feed", feed_id, found.get("feedId"))
        if found.get("feedType") != FEED_TYPE:
            raise self._mismatch("getFeed", "a feed of type", FEED_TYPE, found.get("feedType"))
        markets = found.get("marketplaceIds")
        if markets is not None and markets != [marketplace_id]:
            raise self._mismatch("getFeed", "marketplace(s)", marketplace_id, markets)
        status = found.get("processingStatus")
        if status not in FEED_STATUSES:
            raise SpapiError(f"getFeed: unknown processingStatus '{self._scrub(str(status))}'")
        result = found.get("resultFeedDocumentId")
        if result is not None:
            self.identifier(result, "resultFeedDocumentId", "getFeed")
        return found

    def get_feeds(self, marketplace_id: str, created_since: str) -> list[dict]:
        """getFeeds: this feed type's feeds for the marketplace created since then."""
        params: dict = {
            "feedTypes": FEED_TYPE,
            "marketplaceIds": marketplace_id,
            "createdSince": created_since,
            "pageSize": 100,
        }
        feeds: list[dict] = []
        for found in self._pages(
            "getFeeds",
            f"{FEEDS}/feeds",
            params,
            lambda found: found.get("nextToken"),
            lambda _params, token: {"nextToken": token},  # a next page's only parameter
        ):
            for feed in found.get("feeds") or []:
                if not isinstance(feed, dict):
                    continue
                self.identifier(feed.get("feedId"), "feedId", "getFeeds")
                if feed.get("processingStatus") not in FEED_STATUSES:
                    raise SpapiError(
                        "getFeeds: unknown processingStatus "
                        f"'{self._scrub(str(feed.get('processingStatus')))}'"
                    )
                feeds.append(feed)
        return feeds

    def get_feed_document(self, document_id: str) -> FeedDocument:
        """getFeedDocument: where to download a result document, and its compression."""
        found = self._call("getFeedDocument", "GET", f"{FEEDS}/documents/{document_id}")
        compression = found.get("compressionAlgorithm")
        if compression not in (None, GZIP):
            raise SpapiError(
                f"getFeedDocument: unknown compressionAlgorithm '{self._scrub(str(compression))}'"
            )
        answered = self._field(found, "feedDocumentId", "getFeedDocument")
        if answered != document_id:
            raise self._mismatch("getFeedDocument", "document", document_id, answered)
        url = self._field(found, "url", "getFeedDocument")
        return FeedDocument(answered, self._document_url(url, "getFeedDocument"), compression)

    def download(self, document: FeedDocument, limit: int | None = None) -> bytes:
        """The document's bytes, unpacked when Amazon says GZIP, at most `limit` bytes
        either way (`result_document_too_large`). UploadExpired when the presigned URL is
        refused."""
        limit = transport.MAX_DOCUMENT_BYTES if limit is None else limit
        self._document_url(document.url, "download")
        response = self._send("download", "GET", document.url, limit=limit)
        if response.status_code in (400, 403):
            raise UploadExpired(
                f"download: the presigned URL was refused (HTTP {response.status_code})"
            )
        if response.status_code >= 300:
            raise SpapiError(f"download: HTTP {response.status_code}", code="spapi_refused")
        content = response.content
        if document.compression == GZIP:
            content = transport.gunzip(content, limit)
        return content
