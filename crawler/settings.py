"""Scrapy settings: politeness first, because we crawl thousands of small government sites nightly.

Replica crawls (tests, demo) override the delays, and allow the replica's loopback port, through
``crawler.cli.replica_overrides``.
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

# The fetch policy (README, "The fetch policy"): connections only to public addresses, checked on the
# address actually connected to; loopback only on the ports listed here (the replica, tests), and
# then .localhost names resolve to loopback (RFC 6761) for the replica's virtual hosts.
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
NIANBAO_ALLOW_LOOPBACK: list[int] = []
# Only http(s): no handler for anything else, even if a link or redirect asks for it.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
# Our resolver must see every connection: a proxy from the environment would resolve for us.
HTTPPROXY_ENABLED = False

# Bounds on a crawl, per agency (registry ``options`` raise them: max_list_pages,
# max_links_per_page, time_budget). Hitting one is recorded and makes the agency failing.
NIANBAO_MAX_LIST_PAGES = 200
NIANBAO_MAX_LINKS_PER_PAGE = 500
NIANBAO_AGENCY_TIME_BUDGET = 3600.0  # seconds from the agency's first request
NIANBAO_MAX_LIST_PAGE_BYTES = 5 * 1024 * 1024  # a list page is parsed in the crawl's one thread
DEPTH_LIMIT = NIANBAO_MAX_LIST_PAGES + 10  # list pages → report → attachment → picture
REDIRECT_MAX_TIMES = 10

# Error responses reach the spider's errback, which records them as captures.
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = True
# No way into a running crawl: no telnet console, no RemoteControl (remote Python over HTTP).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None,
              "scrapy.extensions.remote_control.RemoteControl": None}
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# Revalidate against the archive's own last answer (ETag / Last-Modified): cheap nightly runs.
# Below DownloaderStats (850), so response_bytes counts what crossed the network, not the stored copy.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalRequestMiddleware": 800,
    # before RetryMiddleware (550) sees the request again: wait 2 s, 4 s, 8 s … (± 25 %)
    "crawler.middlewares.RetryBackoffMiddleware": 540,
    # sees exceptions before RetryMiddleware (550) does: a refused fetch is never retried
    "crawler.middlewares.FetchPolicyMiddleware": 560,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.RecordedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.RecordedRedirectMiddleware": 600,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.RecordedDepthMiddleware": 900,
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
