"""rendermd: turn the Markdown articles into HTML pages, incrementally and in parallel."""
