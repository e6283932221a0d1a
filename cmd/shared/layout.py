"""Where things live in the built site (OUT_DIR).

Everything outside ``BUILD_DIR`` is part of the public site; ``BUILD_DIR``
holds what the tools tell each other (the manifest, the render cache) and is
left out of the zip.
"""

BUILD_DIR = ".eblog"
MANIFEST = f"{BUILD_DIR}/manifest.json"
RENDER_CACHE = f"{BUILD_DIR}/render-cache.json"
STATIC_DIR = "static"
TAGS_DIR = "tags"
# Pages buildindex writes beside the articles' <slug>.html: no article may take their names.
RESERVED_SLUGS = frozenset({"index", "404", TAGS_DIR})


def page_url(slug: str) -> str:
    """The canonical, root-relative URL of an article: ``/slug`` (the server maps it to slug.html)."""
    return f"/{slug}"


def fragment_path(slug: str) -> str:
    """Where rendermd keeps an article's rendered body, for reuse and for the feeds."""
    return f"{BUILD_DIR}/fragments/{slug}.html"
