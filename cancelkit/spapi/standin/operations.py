"""The stand-in's answers to the Feeds API and Orders API operations (`_op_<operationId>`),
once the request has passed the model's checks in server.py."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from collections.abc import Iterator

from .scenario import FATAL_REPORT, Feed, Scenario, gzip_bomb, processing_report


class Operations:
    """The operations of the stand-in (mixed into Standin, whose state they use)."""

    # the state of Standin (server.py) the operations read and change
    lock: threading.Lock
    scenario: Scenario
    base: str
    declared: dict[str, str]
    uploads: dict[str, bytes]
    feeds: dict[str, Feed]
    results: dict[str, bytes]
    orders_queries: list[dict]
    release: threading.Event
    _numbers: Iterator[int]

    # -- Feeds API --------------------------------------------------------------------------
    def _op_createFeedDocument(self, values, query, body, handler):
        number = next(self._numbers)
        document_id = f"amzn1.tortuga.4.na.standin-doc-{number}"
        with self.lock:
            self.declared[document_id] = body["contentType"]
            expired = self.scenario.expired_uploads > 0
            if expired:
                self.scenario.expired_uploads -= 1
        base = self.scenario.document_base or self.base
        url = f"{base}/upload/{document_id}?X-Amz-Signature=sig{number}"
        if expired:
            url += "&expired=1"
        return 201, {"feedDocumentId": document_id, "url": url}

    def _op_createFeed(self, values, query, body, handler):
        problems = []
        if body["feedType"] != "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA":
            problems.append(f"createFeed: feedType {body['feedType']}")
        if len(body["marketplaceIds"]) != 1:
            problems.append("createFeed: one marketplace per feed")
        if body["inputFeedDocumentId"] not in self.uploads:
            problems.append("createFeed: the document was not uploaded")
        if problems:
            for problem in problems:
                self._violation(problem)
            return 400, {"errors": [{"code": "InvalidInput", "message": problems[0]}]}
        with self.lock:
            feed_id = str(50_000_000_000 + next(self._numbers))
            self.feeds[feed_id] = Feed(
                feed_id,
                list(body["marketplaceIds"]),
                body["inputFeedDocumentId"],
                dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                list(self.scenario.statuses),
            )
        if self.scenario.hang_create_feed:
            self.release.wait(self.scenario.hang_create_feed)
        if self.scenario.drop_create_feed_answer:
            self.scenario.drop_create_feed_answer = False
            handler.close_connection = True
            handler.connection.shutdown(2)
            return None, None
        return 202, {"feedId": feed_id}

    def _feed_json(self, feed: Feed) -> dict:
        value = {
            "feedId": feed.feed_id,
            "feedType": "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA",
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": feed.created,
            "processingStatus": feed.status,
        }
        if feed.result_document_id:
            value["resultFeedDocumentId"] = feed.result_document_id
        return value

    def _advance(self, feed: Feed) -> None:
        with self.lock:
            if feed.statuses:
                feed.status = feed.statuses.pop(0) if len(feed.statuses) > 1 else feed.statuses[0]
            finished = feed.status in ("DONE", "FATAL")
            if finished and feed.result_document_id is None and self.scenario.with_result:
                uploaded = self.uploads[feed.document_id]
                if self.scenario.fatal_report or feed.status == "FATAL":
                    report = FATAL_REPORT
                else:
                    report = processing_report(uploaded, self.scenario.report_errors)
                content = report.encode("utf-8")
                document_id = f"amzn1.tortuga.4.na.standin-result-{feed.feed_id}"
                if self.scenario.bomb_bytes:
                    self.results[document_id] = gzip_bomb(self.scenario.bomb_bytes)
                else:
                    self.results[document_id] = (
                        gzip.compress(content) if self.scenario.gzip else content
                    )
                feed.result_document_id = document_id

    def _op_getFeed(self, values, query, body, handler):
        feed = self.feeds.get(values["feedId"])
        if feed is None:
            return 404, {"errors": [{"code": "NotFound", "message": "no such feed"}]}
        self._advance(feed)
        return 200, self._feed_json(feed)

    def _op_getFeeds(self, values, query, body, handler):
        types = query.get("feedTypes", [""])[0].split(",")
        markets = set(query.get("marketplaceIds", [""])[0].split(","))
        since = query.get("createdSince", ["1970-01-01T00:00:00Z"])[0]
        with self.lock:
            feeds = [
                self._feed_json(f)
                for f in self.feeds.values()
                if "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA" in types
                and markets & set(f.marketplace_ids)
                and f.created >= since
            ]
        answer: dict = {"feeds": feeds}
        if self.scenario.repeat_token:
            answer["nextToken"] = "the-same-token"
        return 200, answer

    def _op_getFeedDocument(self, values, query, body, handler):
        document_id = values["feedDocumentId"]
        if document_id not in self.results:
            return 404, {"errors": [{"code": "NotFound", "message": "no such document"}]}
        url = f"{self.scenario.document_base or self.base}/download/{document_id}?sig=x"
        with self.lock:
            if self.scenario.expired_downloads > 0:
                self.scenario.expired_downloads -= 1
                url += "&expired=1"
        answer = {"feedDocumentId": document_id, "url": url}
        if self.scenario.gzip or self.scenario.bomb_bytes:
            answer["compressionAlgorithm"] = "GZIP"
        return 200, answer

    def _op_cancelFeed(self, values, query, body, handler):
        return 200, None

    # -- Orders API 2026-01-01 --------------------------------------------------------------
    def _op_searchOrders(self, values, query, body, handler):
        with self.lock:
            self.orders_queries.append({k: v[0] for k, v in query.items()})
        markets = set(query.get("marketplaceIds", [""])[0].split(","))
        statuses = set(query.get("fulfillmentStatuses", [""])[0].split(","))
        by = set(query.get("fulfilledBy", ["MERCHANT,AMAZON"])[0].split(","))
        size = int(query.get("maxResultsPerPage", ["100"])[0])
        start = int(query.get("paginationToken", ["0"])[0])
        chosen = [
            o
            for o in self.scenario.orders
            if (self.scenario.any_marketplace or o["salesChannel"].get("marketplaceId") in markets)
            and o["fulfillment"]["fulfillmentStatus"] in statuses
            and o["fulfillment"].get("fulfilledBy") in by
        ]
        page = chosen[start : start + size]
        answer: dict = {"orders": page}
        if self.scenario.repeat_token:
            answer["pagination"] = {"nextToken": "0"}  # the first page, for ever
        elif start + size < len(chosen):
            answer["pagination"] = {"nextToken": str(start + size)}
        return 200, answer

    def _op_getOrder(self, values, query, body, handler):
        return 404, {"errors": [{"code": "NotFound", "message": "not served"}]}
