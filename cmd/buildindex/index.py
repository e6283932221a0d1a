"""Build the site's index pages, feeds and sitemap into OUT_DIR.

Everything is derived from the manifest rendermd wrote, so the run is cheap;
still, when neither the manifest nor the tools nor the settings changed,
nothing is rendered at all and the files on disk stay untouched.
"""

import dataclasses
import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cmd.shared import manifest as site_manifest
from cmd.shared.config import from_mapping
from cmd.shared.files import write_atomic, write_if_changed
from cmd.shared.layout import BUILD_DIR, TAGS_DIR
from cmd.shared.version import tools_digest

STATE = f"{BUILD_DIR}/index-state.json"
RECENT_ON_404 = 5


@dataclass(frozen=True)
class Summary:
    written: int
    unchanged: bool
    seconds: float

    def line(self) -> str:
        if self.unchanged:
            return f"buildindex: up to date in {self.seconds:.2f} s"
        return f"buildindex: {self.written} files written in {self.seconds:.2f} s"


def latest(dates: Iterable[str]) -> str | None:
    """The newest of some ISO 8601 date-times; compared as instants, as text order breaks across offsets."""
    return max(dates, key=dt.datetime.fromisoformat, default=None)


def home_items(articles: list[dict]) -> list[dict]:
    """Newest first; a series appears once, where its newest part would, with its parts in order."""
    parts: dict[str, list[dict]] = defaultdict(list)
    for article in articles:
        if article["series"]:
            parts[article["series"]].append(article)
    items, shown = [], set()
    for article in articles:
        series = article["series"]
        if not series:
            items.append({"series": None, "article": article})
        elif series not in shown:
            shown.add(series)
            ordered = sorted(
                parts[series],
                key=lambda a: site_manifest.series_order(a["part"], dt.datetime.fromisoformat(a["date"]), a["slug"]),
            )
            items.append({"series": series, "parts": ordered})
    return items


def sitemap_urls(site: dict, articles: list[dict], tags: dict[str, list[dict]]) -> list[dict]:
    def lastmod(group: list[dict]) -> str | None:
        return latest(a["updated"] or a["date"] for a in group)

    urls = [{"loc": f"{site['base_url']}/", "lastmod": lastmod(articles)}]
    urls += [{"loc": f"{site['base_url']}{a['url']}", "lastmod": a["updated"] or a["date"]} for a in articles]
    urls.append({"loc": f"{site['base_url']}/tags", "lastmod": lastmod(articles)})
    urls += [{"loc": f"{site['base_url']}/{TAGS_DIR}/{tag}", "lastmod": lastmod(group)} for tag, group in tags.items()]
    return urls


def render_files(out_dir: Path, manifest: dict, site: dict) -> dict[str, str]:
    """Every file buildindex owns, as path -> text."""
    from cmd.buildindex.feeds import feed_entries, json_feed, rfc822
    from cmd.shared.theme import environment

    env = environment().overlay()
    env.filters["rfc822"] = rfc822
    articles = manifest["articles"]
    tags: dict[str, list[dict]] = defaultdict(list)
    for article in articles:
        for tag in article["tags"]:
            tags[tag].append(article)
    tags = dict(sorted(tags.items()))
    common = {"site": site, "stylesheet": manifest["stylesheet"]}
    entries = feed_entries(out_dir, articles, site["base_url"], site["feed_size"])
    updated = latest(a["updated"] or a["date"] for a in articles[: site["feed_size"]])

    files = {
        "index.html": env.get_template("index.html").render(path="/", items=home_items(articles), **common),
        "tags.html": env.get_template("tags.html").render(
            path="/tags", tags=[(tag, len(group)) for tag, group in tags.items()], **common
        ),
        "404.html": env.get_template("404.html").render(path="/404", recent=articles[:RECENT_ON_404], **common),
        "rss.xml": env.get_template("rss.xml").render(entries=entries, updated=updated, **common),
        "atom.xml": env.get_template("atom.xml").render(entries=entries, updated=updated, **common),
        "feed.json": json_feed(site, entries),
        "sitemap.xml": env.get_template("sitemap.xml").render(urls=sitemap_urls(site, articles, tags)),
    }
    tag_template = env.get_template("tag.html")
    for tag, group in tags.items():
        files[f"{TAGS_DIR}/{tag}.html"] = tag_template.render(
            path=f"/{TAGS_DIR}/{tag}", tag=tag, articles=group, **common
        )
    return files


def build_index(out_dir: Path, *, base_url: str | None = None, feed_size: int | None = None) -> Summary:
    """Write the index pages, feeds and sitemap; skip all work when nothing they depend on changed."""
    started = time.perf_counter()
    manifest = site_manifest.read(out_dir)
    overrides = {key: value for key, value in (("base_url", base_url), ("feed_size", feed_size)) if value is not None}
    site = dataclasses.asdict(from_mapping({**manifest["site"], **overrides}, "buildindex settings"))
    key = json.dumps([tools_digest(), manifest, site], sort_keys=True)

    state_path = out_dir / STATE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = None
    if not isinstance(state, dict) or not isinstance(state.get("files"), list):
        state = {"key": None, "files": []}
    if state["key"] == key and all((out_dir / name).exists() for name in state["files"]):
        return Summary(0, True, time.perf_counter() - started)

    files = render_files(out_dir, manifest, site)
    written = sum(write_if_changed(out_dir / name, text.encode("utf-8")) for name, text in files.items())
    for stale in set(state["files"]) - files.keys():
        (out_dir / stale).unlink(missing_ok=True)
    write_atomic(state_path, json.dumps({"key": key, "files": sorted(files)}).encode())
    return Summary(written, False, time.perf_counter() - started)
