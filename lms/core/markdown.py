"""The one Markdown renderer for everything users read, with an allow-list sanitiser."""

from __future__ import annotations

from collections.abc import Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height", "loading"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}

LinkResolver = Callable[[str], str | None]


class _RewriteUrls(Treeprocessor):
    def __init__(self, md, resolve_link: LinkResolver | None, resolve_image: LinkResolver | None):
        super().__init__(md)
        self.resolve_link = resolve_link
        self.resolve_image = resolve_image

    def run(self, root):
        for element in root.iter():
            if element.tag == "a" and self.resolve_link:
                href = element.get("href", "")
                if href.startswith("lesson:"):
                    element.set("href", self.resolve_link(href[len("lesson:") :]) or "#")
            elif element.tag == "img" and self.resolve_image:
                src = element.get("src", "")
                if "://" not in src and not src.startswith("/"):
                    element.set("src", self.resolve_image(src) or "")
                element.set("loading", "lazy")


class _UrlExtension(Extension):
    def __init__(self, resolve_link, resolve_image):
        super().__init__()
        self.resolve_link = resolve_link
        self.resolve_image = resolve_image

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        md.treeprocessors.register(_RewriteUrls(md, self.resolve_link, self.resolve_image), "lms_urls", 5)


def render_markdown(text: str, resolve_link: LinkResolver | None = None, resolve_image: LinkResolver | None = None) -> str:
    """Markdown to safe HTML: raw HTML is dropped by the sanitiser, links limited to safe schemes."""
    html = markdown.markdown(
        text,
        extensions=["tables", "sane_lists", _UrlExtension(resolve_link, resolve_image)],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
