"""Feed entries with full content and absolute URLs, and the three feed formats' dates.

Feed readers show an entry away from the site, so every link in the content
must be absolute: root-relative links get the base URL, and in-page anchors
(footnotes, headings) get the article's own URL.
"""

import datetime as dt
import email.utils
import json
import re
from pathlib import Path
from typing import Any

from cmd.shared.errors import InputError
from cmd.shared.layout import encoded, rooted
from cmd.shared.records import Entry

IN_PAGE = re.compile(r"""(\shref=["'])#""")


def absolute_links(html: str, base_url: str, page_url: str) -> str:
    html = rooted(html, base_url)
    return IN_PAGE.sub(lambda m: f"{m.group(1)}{page_url}#", html)


def rfc822(value: str) -> str:
    """RSS 2.0 dates: RFC 822 with a four-digit year, in GMT."""
    return email.utils.format_datetime(dt.datetime.fromisoformat(value).astimezone(dt.UTC), usegmt=True)


def feed_entries(out_dir: Path, articles: list[Entry], base_url: str) -> list[dict[str, Any]]:
    """The articles with their full HTML made safe to show elsewhere, and their absolute link."""
    entries = []
    for article in articles:
        link = base_url + encoded(article.url)
        fragment = out_dir / article.fragment
        try:
            body = fragment.read_text(encoding="utf-8")
        except OSError:
            raise InputError("an article's rendered body is missing; run rendermd again", fragment) from None
        entries.append({**article.to_json(), "link": link, "content": absolute_links(body, base_url, link)})
    return entries


def json_feed(site: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """JSON Feed 1.1."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": site["title"],
        "description": site["description"],
        "home_page_url": f"{site['base_url']}/",
        "feed_url": f"{site['base_url']}/feed.json",
        "language": site["language"],
        "authors": [{"name": site["author"]}],
        "items": [
            {
                "id": entry["link"],
                "url": entry["link"],
                "title": entry["title"],
                "content_html": entry["content"],
                "summary": entry["summary"],
                "date_published": entry["date"],
                "date_modified": entry["updated"] or entry["date"],
                "tags": entry["tags"],
                **({"authors": [{"name": name} for name in entry["authors"]]} if entry["authors"] else {}),
            }
            for entry in entries
        ],
    }
    return json.dumps(feed, indent=1, ensure_ascii=False) + "\n"
