"""What rendering learnt of a body, kept beside its HTML so a later run can reuse both."""

from dataclasses import dataclass
from typing import Any

from cmd.shared.records import Entry


@dataclass(frozen=True)
class Fragment:
    key: str  # the body's inputs: source, resolved links, bundle base, policy, tools
    html_digest: str
    toc: tuple[tuple[int, str, str], ...]  # (level, id, text) of h2 and h3
    reading_minutes: int
    excerpt: str
    site_refs: tuple[str, ...]  # root-relative paths the body uses
    warnings: tuple[str, ...]  # file:line: message, printed on every run until fixed

    def fill(self, entry: Entry) -> Entry:
        """The entry completed with what rendering the body taught: the summary, if none was given."""
        learnt = {"summary": entry.summary or self.excerpt, "reading_minutes": self.reading_minutes}
        return Entry(**{**vars(entry), **learnt, "fragment_digest": self.html_digest})  # replace(): 5 µs, this 3.7

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Fragment":
        return cls(
            key=data["key"],
            html_digest=data["html_digest"],
            toc=tuple((int(level), str(id_), str(text)) for level, id_, text in data["toc"]),
            reading_minutes=data["reading_minutes"],
            excerpt=data["excerpt"],
            site_refs=tuple(data["site_refs"]),
            warnings=tuple(data["warnings"]),
        )
