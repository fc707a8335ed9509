"""Datasette plugin: the reader's pages, in Chinese.

* ``/<db>/reports/<id>`` — the report page: text as paragraphs, the three tables rebuilt in their
  official form, failing checks explained and their cells marked, problems, versions, other years;
* ``/<db>/agencies/<id>`` — the agency page: reports by year, key numbers across years, a chart;
* ``/-/compare`` — agencies side by side for one year and one table;
* ``/-/search?q=…`` — results ranked by relevance (bm25) with the matching words marked; the search
  box of the reports table (``/<db>/reports?_search=…``) leads there, ``&_table=1`` stays on the table.

The report and agency pages are Datasette's own row pages (``publish/templates/row.html`` extends the
default), fed through ``extra_template_vars``, so Datasette's JSON, CSV and permissions keep working on
the same URLs. The logic lives in ``publish.pages``; this module only wires hooks.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from extract import packed_text
from extract.cjk import excerpt
from publish import archive_database, pages, static_url

ARCHIVE_COLUMNS = {"id", "title", "agency", "agency_id", "year", "published", "province", "excerpt", "is_current"}


@hookimpl
def extra_css_urls(template, database, table, columns, view_name, request, datasette):
    return [static_url(datasette, "nianbao.css")]


@hookimpl
def extra_template_vars(template, database, table, columns, view_name, request, datasette):
    async def inner():
        if request is None or database is None:
            return {}
        db = datasette.get_database(database)
        if view_name == "row" and table in ("reports", "agencies"):
            pk = (request.url_vars or {}).get("pks", "")
            from datasette.utils import tilde_decode

            key = tilde_decode(pk)
            if table == "reports" and key.isdigit():
                return {"nianbao_report": await pages.report_page(db, int(key))}
            if table == "agencies":
                return {"nianbao_agency": await pages.agency_page(db, key)}
        return {}

    return inner


@hookimpl
def prepare_connection(conn):
    """The ``report_texts`` view unpacks the stored texts through this function (extract/packed_text.py)."""
    packed_text.register(conn)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Table pages list reports by an excerpt, not the whole text (rows stay one or two lines high);
    a query's or view's ``report_id`` leads to the report page; a search snippet's 【words】 are marked."""
    if table == "reports" and column == "excerpt" and isinstance(value, str):
        return Markup('<span class="nb-excerpt">{}</span>').format(value)  # cut when stored
    if table == "report_texts" and column == "text" and isinstance(value, str):
        return Markup('<span class="nb-excerpt">{}</span>').format(excerpt(value))
    if column == "report_id" and isinstance(value, int) and table in (None, "cell_values", "report_figures"):
        href = datasette.urls.row(database, "reports", str(value))
        return Markup('<a href="{}" title="阅读这份报告">{}</a>').format(href, value)
    if column == "摘要" and table is None and isinstance(value, str):
        return Markup('<span class="nb-snippet">{}</span>').format(_marked(_brackets(value)))
    if table == "agencies" and column == "registry" and value == "discovered":
        # an agency found on a portal's list, shown as such beside the registered ones
        return Markup('<span class="nb-badge nb-discovered" title="不在登记表中：在门户网站的年报栏目里'
                      '由报告标题发现">门户发现</span> discovered')
    return None


def _brackets(text: str) -> list[tuple[str, bool]]:
    """【marked】 pieces of ``extract.cjk.marked_snippet`` back into (piece, is_match) pairs."""
    out = []
    for i, piece in enumerate(text.replace("】", "【").split("【")):
        if piece:
            out.append((piece, i % 2 == 1))
    return out


async def compare_view(datasette, request):
    db = await archive_database(datasette)
    if db is None:
        return Response.html("<p>没有找到年报数据库。</p>", status=404)
    data = await pages.compare_page(db, {k: request.args.get(k) for k in request.args.keys()})
    data["database"] = db.name
    html = await datasette.render_template("nianbao_compare.html", data, request=request)
    return Response.html(html)


async def searchable_archive(datasette):
    """The served archive when it has the search index and the report columns the search page shows
    (another database with a ``reports`` table keeps Datasette's own search)."""
    db = await archive_database(datasette)
    if db is None or "reports_fts" not in await db.table_names() or \
            not ARCHIVE_COLUMNS <= set(await db.table_columns("reports")):
        return None
    return db


async def search_view(datasette, request):
    """The search page: ranked results only. Datasette's table of every match (``_table=1``) is one
    click away; computing it on every search would read every match, however many."""
    db = await searchable_archive(datasette)
    if db is None:
        return Response.html("<p>没有找到年报数据库或它的全文索引。</p>", status=404)
    q = (request.args.get("q") or "").strip()
    try:
        page = max(int(request.args.get("_rank_page") or 1), 1)
    except ValueError:
        page = 1
    args = {k: request.args.get(k) for k in request.args.keys() if not k.startswith("_") and k != "q"}
    data = {"database": db.name, "q": q, "filters": [(k, v) for k, v in args.items() if v],
            "nianbao_search": await pages.ranked_search(db, q, args, page) if q else None}
    html = await datasette.render_template("nianbao_search.html", data, request=request)
    return Response.html(html)


@hookimpl
def register_routes():
    return [(r"^/-/compare$", compare_view), (r"^/-/search$", search_view)]


@hookimpl
def asgi_wrapper(datasette):
    """``/<archive>/reports?_search=…`` (the search box of Datasette's reports table) goes to the
    search page with its filters; ``_table=1`` keeps Datasette's own table of matches."""
    from urllib.parse import parse_qsl, urlencode

    def wrap(app):
        async def serve(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method") == "GET" and \
                    scope.get("path", "").endswith("/reports") and b"_search=" in scope.get("query_string", b""):
                args = parse_qsl(scope["query_string"].decode("utf-8", "replace"), keep_blank_values=True)
                keys = {k for k, v in args if k != "_search" or v.strip()}  # an empty box is no search
                db = await searchable_archive(datasette) if "_search" in keys and "_table" not in keys else None
                if db is not None and scope["path"] == datasette.urls.table(db.name, "reports"):
                    moved = [("q" if k == "_search" else k, v) for k, v in args
                             if k in ("_search", "_rank_page") or not k.startswith("_")]
                    location = datasette.urls.path("/-/search") + "?" + urlencode(moved)
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", location.encode("latin-1", "replace")),
                                            (b"content-type", b"text/plain; charset=utf-8")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)

        return serve

    return wrap


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["nb_marked"] = _marked


def _marked(pieces) -> Markup:
    return Markup("").join(Markup("<mark>{}</mark>").format(t) if hit else escape(t) for t, hit in pieces)
