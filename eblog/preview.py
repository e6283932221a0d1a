"""eblog preview ARTICLES [--port] [--host] [--no-drafts]: the live preview, under the eblog name."""

from cmd.preview import __main__ as preview


def main(argv: list[str] | None = None) -> int:
    return preview.main(argv, prog="eblog preview")
