"""Links to the rows of a long list and to its other pages, built once per page rather than
once per row or per page number."""

from dataclasses import dataclass

from flask import request, url_for
from flask_sqlalchemy.pagination import Pagination

from portal.forms import MAX_ID


def row_url(endpoint: str, key: str, **values) -> str:
    """The URL of `endpoint` with its `key` (an `<id:...>` part, or a query argument) left
    as `{}`, for a list's rows to fill with `.format(row_id)`: `url_for` on every row of a
    page of 25 cost as much as a query."""
    url = url_for(endpoint, **{key: MAX_ID}, **values)
    return url.replace("{", "{{").replace("}", "}}").replace(str(MAX_ID), "{}", 1)


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
    query (filters, search, sort) with `args` over it, and all come from one `url_for`.

    Empty when there is nothing to page through: a single page that is the first."""
    if page.pages <= 1 and page.page <= 1:
        return []
    values = {k: v for k, v in request.args.items() if k != "page"}
    values.update(args or {})
    values.pop("page", None)
    pattern = row_url(request.endpoint, "page", **(request.view_args or {}), **values)
    before = min(page.page - 1, page.pages)  # past the end, "previous" is the last page
    links = [PageLink("«", pattern.format(before) if before >= 1 else None, name="Previous")]
    for number in page.iter_pages():
        if number is None:
            links.append(PageLink("…", None))
        elif number == page.page:
            links.append(PageLink(str(number), None, current=True))
        else:
            links.append(PageLink(str(number), pattern.format(number)))
    links.append(
        PageLink("»", pattern.format(page.next_num) if page.has_next else None, name="Next")
    )
    return links
