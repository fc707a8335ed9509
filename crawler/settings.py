"""Scrapy settings: politeness first, because we crawl thousands of small government sites nightly.

Replica crawls (tests, demo) override the delays through ``crawler.runner.replica_overrides``.
"""
BOT_NAME = "nianbao"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = (
    "nianbao/0.1 (+https://github.com/nianbao/nianbao; archive of government "
    "information-disclosure annual reports)"
)
ROBOTSTXT_OBEY = True

# Politeness: at most two requests at a time per host, adaptive delays.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# .localhost names resolve to loopback (RFC 6761): the replica's virtual hosts.
TWISTED_DNS_RESOLVER = "crawler.resolver.LoopbackAliasResolver"

# Error responses reach the spider's errback, which records them as captures.
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# Revalidate against the archive's own last answer (ETag / Last-Modified): cheap nightly runs.
# Below DownloaderStats (850), so response_bytes counts what crossed the network, not the stored copy.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalRequestMiddleware": 800,
    # before RetryMiddleware (550) sees the request again: wait 2 s, 4 s, 8 s … (± 25 %)
    "crawler.middlewares.RetryBackoffMiddleware": 540,
}
NIANBAO_RETRY_BACKOFF_BASE = 2.0
NIANBAO_RETRY_BACKOFF_MAX = 60.0
NIANBAO_CONDITIONAL = True

# Where the archive lives (the CLI and `scrapy crawl -s` may override).
NIANBAO_DB = "archive.db"
NIANBAO_BLOBS = None  # default: <db dir>/data/blobs
NIANBAO_REGISTRY = "replica"
NIANBAO_REPLICA_PORT = None

FEED_EXPORT_ENCODING = "utf-8"
