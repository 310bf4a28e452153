"""Links to the rows of a long list and to its other pages, built once per page rather than
once per row or per page number."""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request, url_for
from flask_sqlalchemy.pagination import Pagination

from portal.forms import MAX_ID


def row_url(endpoint: str, key: str, **values) -> str:
    """The URL of `endpoint` with its `key` (an `<id:...>` part) left as `{}`, for a list's
    rows to fill with `.format(row_id)`: `url_for` on every row of a page of 25 cost as much
    as a query."""
    return _literal(url_for(endpoint, **{key: MAX_ID}, **values)).replace(str(MAX_ID), "{}", 1)


def _literal(text: str) -> str:
    """`text` as itself in a `str.format` pattern."""
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True, slots=True)
class PageLink:
    """One place in a pager: a page number, a gap ("…"), or previous / next."""

    label: str
    url: str | None  # None: nothing to follow (this page, a gap, no page before or after)
    current: bool = False
    name: str | None = None  # what a screen reader says for previous and next


def page_links(page: Pagination, args: dict | None = None) -> list[PageLink]:
    """The pager of `page`, a list of this request's endpoint: previous, the page numbers
    Flask-SQLAlchemy's `iter_pages` picks (gaps as "…"), next. Each link keeps the request's
    query (filters, search, sort; every value of a repeated one; blank ones are dropped)
    with `args` over it (None leaves a name out). All come from one `url_for`, for the path:
    the query is encoded here, so no name a visitor sends reaches `url_for` as one of its
    own arguments (`_external`, `endpoint`).

    Empty when there is nothing to page through: a single page that is the first."""
    if page.pages <= 1 and page.page <= 1:
        return []
    query = {name: [v for v in values if v] for name, values in request.args.lists()}
    query.pop("page", None)
    for name, value in (args or {}).items():
        query.pop(name, None)
        if value is not None and name != "page":
            query[name] = value if isinstance(value, list | tuple) else [value]
    path = url_for(request.endpoint, **(request.view_args or {}))
    rest = urlencode([(name, value) for name, values in query.items() for value in values])
    pattern = _literal(path + "?page=") + "{}" + (_literal("&" + rest) if rest else "")
    # Past the end (of a list that shrank, or of an empty one) "previous" is the last page.
    before = max(1, min(page.page - 1, page.pages)) if page.page > 1 else None
    links = [PageLink("«", pattern.format(before) if before else None, name="Previous")]
    for number in page.iter_pages():
        if number is None:
            links.append(PageLink("…", None))
        elif number == page.page:
            links.append(PageLink(str(number), None, current=True))
        else:
            links.append(PageLink(str(number), pattern.format(number)))
    after = page.next_num if page.has_next else None
    links.append(PageLink("»", pattern.format(after) if after else None, name="Next"))
    return links
