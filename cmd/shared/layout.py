"""Where things live in the built site (OUT_DIR), and the URLs buildindex gives its pages.

Everything outside ``BUILD_DIR`` is part of the public site; ``BUILD_DIR``
holds what the tools tell each other (the manifest, the render cache) and is
left out of the zip.  The server answers ``x.html`` at ``/x`` and
``d/index.html`` at ``/d/``.
"""

import re
from urllib.parse import quote

BUILD_DIR = ".eblog"
MANIFEST = f"{BUILD_DIR}/manifest.json"
RENDER_CACHE = f"{BUILD_DIR}/render-cache.marshal"
HIGHLIGHTED = f"{BUILD_DIR}/highlighted"  # code blocks highlighted before, a folder per version of the tools
INCOMPLETE = f"{BUILD_DIR}/incomplete"  # the mark of a build that started and has not finished (buildlock)
DEFAULT_WAIT = 60.0  # seconds a tool waits for another holding OUT (buildlock); a cold build of 1,000 takes a few
STATIC_DIR = "static"
TAGS_DIR = "tags"
CATEGORIES_DIR = "categories"
REDIRECTS_FILE = "_redirects"  # Netlify's and Cloudflare Pages' format; the server reads it from the zip
HEADERS_FILE = "_headers"
DEFAULT_BASE_URL = "http://localhost:8080"  # where a site is served when nothing says otherwise (site.toml)
URL_SAFE = "/:@!$&'()*+,;=-._~"


# Either quote: Markdown's links use double quotes, raw HTML in an article may use single ones.
ROOT_RELATIVE = re.compile(r"""(\s(?:href|src|poster)=["'])/(?!/)""")
SRCSET = re.compile(r"""(\ssrcset=(["']))(.*?)\2""", re.DOTALL)  # <img srcset>, <picture><source srcset>
CANDIDATE = re.compile(r"(^|,)(\s*)/(?!/)")  # each "URL descriptor" of a srcset that starts with one /


def rooted(html: str, prefix: str) -> str:
    """Root-relative URLs in ``html`` put under ``prefix`` (a path, or a whole base URL).

    Rendered bodies keep links root-relative (``/x``): a page of a site under
    ``/blog`` needs ``/blog/x``, a feed ``https://example.org/blog/x``.  That is
    every ``href``, ``src`` and ``poster``, and each candidate of a ``srcset``.
    """
    if not prefix:
        return html
    html = ROOT_RELATIVE.sub(lambda match: f"{match.group(1)}{prefix}/", html)
    return SRCSET.sub(lambda match: match.group(1) + rooted_srcset(match.group(3), prefix) + match.group(2), html)


def rooted_srcset(srcset: str, prefix: str) -> str:
    return CANDIDATE.sub(lambda match: f"{match.group(1)}{match.group(2)}{prefix}/", srcset)


def encoded(url: str) -> str:
    """A URL with non-ASCII and unsafe characters percent-encoded, for feeds, sitemaps and _redirects."""
    return quote(url, safe=URL_SAFE)


def list_page(base: str, number: int) -> tuple[str, str]:
    """(URL, file) of page ``number`` of a list at ``base`` ("/", "/tags/x", "/posts/"): Hugo's /page/N/."""
    if number == 1:
        if base.endswith("/"):
            return base, base[1:] + "index.html"
        return base, base[1:] + ".html"
    url = f"{base.rstrip('/')}/page/{number}/"
    return url, url[1:] + "index.html"
