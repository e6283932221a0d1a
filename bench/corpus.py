"""Generate a synthetic corpus of articles for the pipeline benchmark.

Each article is about 1,500 words of prose with headings, a table, a
footnote and three highlighted code blocks, so the corpus loads the same
code paths the real articles do.  Seeded, so every run gets the same corpus.
"""

import argparse
import random
from pathlib import Path

WORDS = (
    "layer cache build image docker python server request response zip deflate gzip header stage builder "
    "runtime slim minimal article feed index sitemap render template markdown the a of to and in is that "
    "for it with as on be by this are from at or an fast small dependency lock hash wheel venv "
    "interpreter module package bytes memory latency throughput"
).split()

CODE = {
    "python": (
        "def handler(scope, receive, send):\n"
        '    """Serve {n} from memory."""\n'
        '    body = TABLE.get(scope["path"], b"")\n'
        "    for chunk in range({n}):\n"
        "        yield chunk * 2\n"
        '    return {{"status": 200, "size": len(body)}}\n'
    ),
    "go": (
        "package main\n"
        "\n"
        'import "fmt"\n'
        "\n"
        "func main() {{\n"
        "\tfor i := 0; i < {n}; i++ {{\n"
        '\t\tfmt.Println("layer", i)\n'
        "\t}}\n"
        "}}\n"
    ),
    "dockerfile": (
        "FROM python:3.13-slim-trixie AS builder\n"
        "WORKDIR /src\n"
        "COPY pyproject.toml uv.lock ./\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen\n"
        "COPY . .\n"
        "EXPOSE {n}\n"
    ),
    "bash": (
        "set -euo pipefail\n"
        "for i in $(seq 1 {n}); do\n"
        '  echo "build $i"\n'
        "done\n"
        "curl -fsS http://127.0.0.1:8080/healthz\n"
    ),
}


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}`"
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
    return " ".join(words) + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(4, 7)))


def article(index: int, rng: random.Random) -> str:
    langs = rng.sample(sorted(CODE), 3)
    parts = [
        "---",
        f"title: Generated article number {index}",
        f"date: {2020 + index % 6}-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "author: Bench Writer",
        f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
        f"summary: Article {index} of the synthetic corpus.",
        "---",
        "",
    ]
    words = 0
    section = 0
    while words < 1500:
        if words // 300 >= section:
            section += 1
            parts.append(f"## Section {section}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n")
            if langs and section > 1:
                lang = langs.pop()
                parts.append(f"```{lang}\n{CODE[lang].format(n=index + section)}```\n")
        text = paragraph(rng)
        words += len(text.split())
        parts.append(text + "\n")
    parts.append("| step | seconds | size |\n|---|---:|---:|\n| naive | 61.2 | 1.1 GB |\n| optimised | 0.9 | 24 MB |\n")
    parts.append(f"A closing remark[^1].\n\n[^1]: Footnote of article {index}.\n")
    return "\n".join(parts)


def as_jekyll_post(text: str) -> tuple[str, str]:
    """The same article as Jekyll keeps it: (file name's date, text with the date only there)."""
    front, _, body = text.partition("\n---\n")
    lines = front.splitlines()
    date = next(line for line in lines if line.startswith("date: ")).removeprefix("date: ")
    kept = [line for line in lines if not line.startswith("date: ")]
    return date, "\n".join([*kept, "layout: post", "categories: [bench]"]) + "\n---\n" + body


def write_corpus(directory: Path, count: int, seed: int = 1, layout: str = "eblog") -> None:
    """``count`` articles in eblog's layout, or the same ones as a Jekyll site (``layout="jekyll"``)."""
    rng = random.Random(seed)
    posts = directory / "_posts" if layout == "jekyll" else directory
    posts.mkdir(parents=True, exist_ok=True)
    if layout == "jekyll":
        (directory / "_config.yml").write_text("title: Bench\npermalink: date\n", encoding="utf-8")
    for index in range(count):
        text = article(index, rng)
        if layout == "jekyll":
            date, text = as_jekyll_post(text)
            (posts / f"{date}-article-{index:04d}.md").write_text(text, encoding="utf-8")
        else:
            (posts / f"article-{index:04d}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    write_corpus(args.directory, args.count)
