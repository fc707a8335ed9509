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

# Politeness: at most two requests at a time per host, adaptive delays. Globally, many requests at
# once: a night visits ~100,000 small hosts, each slow (0.5–1 s) and each held to 2 at a time with a
# delay, so the global cap is what bounds the night (16 made it ~12 hours at 0.5 s: issue 14).
CONCURRENT_REQUESTS = 256
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items of one response processed at once. Scrapy starts this many worker tasks for every response
# (default 100): ours yield a few items each, and 100 tasks per page cost more than the page's parse.
CONCURRENT_ITEMS = 8
# Scrapy re-reads and re-parses a generator callback's source on every response to warn about a
# `return value` in it (its cache is keyed by the bound method, a new object each time): ~1 ms a
# page, a tenth of the crawl's CPU. tests/test_crawl_overhead.py makes the same check once instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy's default DownloaderAwarePriorityQueue scans every host with pending requests on each
# dequeue: at 3,000 hosts that was a third of the crawl's CPU, and it grows with the hosts of a night
# (bench/crawl.py --only hosts). The plain priority queue costs the same at any number of hosts.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
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
    # the same, but a robots.txt that an unreachable host could not give is one log line, not a traceback
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
}
SPIDER_MIDDLEWARES = {
    # what a night fetches again (crawler/revalidate.py); before depth counting sees the requests
    "crawler.revalidate.RevalidationMiddleware": 950,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.RecordedDepthMiddleware": 900,
}
NIANBAO_RETRY_BACKOFF_BASE = 2.0
NIANBAO_RETRY_BACKOFF_MAX = 60.0
NIANBAO_CONDITIONAL = True
# Revalidation (crawler/revalidate.py): known, unchanged report pages (with their attachments) once
# per DAYS nights, those of the last RECENT_YEARS report years once per RECENT_DAYS; each agency's
# whole pagination once per LIST_DAYS; 1 means everything every night. NIANBAO_NIGHT pins the night
# number (days since 1970-01-01 UTC; default: today), for tests and benchmarks.
NIANBAO_REVALIDATE_DAYS = 30
NIANBAO_REVALIDATE_RECENT_DAYS = 7
NIANBAO_REVALIDATE_RECENT_YEARS = 2
NIANBAO_REVALIDATE_LIST_DAYS = 7
NIANBAO_NIGHT = None

# Where the archive lives (the CLI and `scrapy crawl -s` may override).
NIANBAO_DB = "archive.db"
NIANBAO_BLOBS = None  # default: <db dir>/data/blobs
NIANBAO_REGISTRY = "replica"
NIANBAO_REPLICA_PORT = None

FEED_EXPORT_ENCODING = "utf-8"
