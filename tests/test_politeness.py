"""Politeness is configuration we rely on: pin it, and check the crawl behaved so on the replica."""
from scrapy.settings import Settings

from crawler.middlewares import RetryBackoffMiddleware


def settings():
    s = Settings()
    s.setmodule("crawler.settings")
    return s


def test_polite_defaults():
    s = settings()
    assert s.getbool("ROBOTSTXT_OBEY")
    assert s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert "nianbao" in s.get("USER_AGENT") and "http" in s.get("USER_AGENT")
    assert s.getint("RETRY_TIMES") >= 2 and 503 in s.getlist("RETRY_HTTP_CODES")


def test_retry_backoff_grows_and_is_capped():
    mw = RetryBackoffMiddleware(base=2.0, cap=30.0)
    assert mw.delay(0) == 0
    d = [mw.delay(n) for n in (1, 2, 3, 4, 8)]
    assert 1.5 <= d[0] <= 2.5 and 3 <= d[1] <= 5 and 6 <= d[2] <= 10 and 12 <= d[3] <= 20
    assert d[4] <= 30 * 1.25


def test_crawl_asked_every_host_for_robots_first(crawled, replica, truth):
    reqs = replica.requests
    hosts = {h for _, h, _, _ in reqs}
    for host in hosts:
        paths = [p for _, h, p, _ in reqs if h == host]
        assert paths[0] == "/robots.txt", (host, paths[:3])
    assert not any(p.startswith("/admin/") for _, _, p, _ in reqs)
