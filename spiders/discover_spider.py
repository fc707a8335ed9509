"""The ``discover`` spider behind ``nianbao sites discover URL``: one discovery walk (spiders/discover.py)
driven by Scrapy, so the pages it reads are fetched under the crawl's fetch policy (public addresses
only, loopback only on the ports ``NIANBAO_ALLOW_LOOPBACK`` lists, robots.txt, redirects checked)
and within its bounds (pages, bytes, time). It writes nothing: the result is on ``spider.result``.
"""
from __future__ import annotations

from dataclasses import asdict

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.items import FetchRefused, RedirectFailed
from extract.decode import UndecodableError, decode_html
from spiders.challenges import DESCRIPTIONS, challenge_kind
from spiders.discover import MAX_PAGE_BYTES, MAX_PAGES, MAX_SECONDS, Agent, Discovery, Step


def failure_reason(failure) -> str:
    """A failed fetch in a few words (the status, the challenge, the policy's refusal)."""
    if failure.check(HttpError):
        response = failure.value.response
        kind = challenge_kind(response.status, response.body)
        return DESCRIPTIONS[kind] if kind else f"HTTP {response.status}"
    if failure.check(FetchRefused, RedirectFailed):
        return str(failure.value)
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"


class DiscoverSpider(scrapy.Spider):
    name = "discover"
    custom_settings = {"ITEM_PIPELINES": {}, "NIANBAO_CONDITIONAL": False,
                       # a walk that hangs on one slow page still ends
                       "CLOSESPIDER_TIMEOUT": MAX_SECONDS + 30}

    def __init__(self, url: str = "", agency_name: str = "", aliases: str = "", province: str | None = None,
                 city: str | None = None, county: str | None = None, platform: str | None = None,
                 max_pages: int | str = MAX_PAGES, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {url!r}")
        agent = Agent(agency_name or "", tuple(a for a in (aliases or "").split(",") if a), province or None,
                      city or None, county or None)
        self.walk = Discovery(url, agent, platform=platform or None, max_pages=int(max_pages))
        self.result = None

    async def start(self):
        yield self.request(self.walk.first())

    def request(self, step: Step):
        return scrapy.Request(step.url, callback=self.parse, errback=self.failed, dont_filter=True,
                              meta={"step": asdict(step), "agency_id": "discover", "download_maxsize": MAX_PAGE_BYTES})

    def parse(self, response):
        step = Step(**response.meta["step"])
        try:
            text = decode_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1")).text
        except UndecodableError as e:
            self.walk.failed(step, f"undecodable: {e}")
        else:
            self.walk.feed(step, response.url, text, len(response.body))
        yield from self.advance()

    def failed(self, failure):
        self.walk.failed(Step(**failure.request.meta["step"]), failure_reason(failure))
        yield from self.advance()

    def advance(self):
        step = self.walk.next()
        if step is not None:
            yield self.request(step)
        else:
            self.result = self.walk.result()

    def closed(self, reason):
        if self.result is None:  # stopped from outside (time, signal): say what was found so far
            self.result = self.walk.result()
            if reason != "finished" and not self.result.found:
                self.result.reason = f"{self.result.reason}; the walk was stopped ({reason})"


__all__ = ["DiscoverSpider", "failure_reason"]
