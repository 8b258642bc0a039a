"""HTML to PDF with WeasyPrint, allowed to read nothing but data: URLs and files inside the
folders it is given (the templates and the workbook's folder). No network, no devices."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit


class Rendered(NamedTuple):
    """A PDF as rendered, and its number of pages."""

    pdf: bytes
    pages: int


class RefusedURL(ValueError):
    """A URL the renderer may not fetch."""


def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher

    class RestrictedFetcher(URLFetcher):  # type: ignore[misc]
        """data: URLs, and regular files inside the allowed folders (after resolving links)."""

        def __init__(self, allowed: list[Path]) -> None:
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=5)
            self.allowed = [p.resolve() for p in allowed]

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not any(path.is_relative_to(root) for root in self.allowed):
                    raise RefusedURL(f"outside the allowed folders: {url}")
                if not path.is_file() or not stat.S_ISREG(path.stat().st_mode):
                    raise RefusedURL(f"not a regular file: {url}")
            elif scheme != "data":
                raise RefusedURL(f"not allowed: {url}")
            return super().fetch(url, headers)

    return RestrictedFetcher


def render_pdf(
    html: str,
    allowed: list[Path],
    variant: str | None = None,
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    tags: bool = True,
) -> Rendered:
    """The PDF of ``html`` and its number of pages; ``tags``: a tagged PDF (a structure tree
    of headings, tables and figures for screen readers), for every document but the running
    header and footer, which are drawn over the pages as artifacts (assemble.py). What is laid
    out is the print form of ``html`` (:mod:`kpireport.render.printform`): the same pages."""
    import weasyprint

    from kpireport.render import svgtext
    from kpireport.render.printform import for_print

    svgtext.install()  # once a process: the charts' labels drawn a run, not a letter, at a time

    fetcher = _fetcher_class()(allowed)
    document = weasyprint.HTML(
        string=for_print(html), base_url=str(allowed[0]), url_fetcher=fetcher
    )
    files = [weasyprint.Attachment(string=data, name=name) for name, data in attachments]
    options: dict[str, Any] = {
        "pdf_variant": variant,
        "attachments": files or None,
        # title, author, description, keywords and generator become the PDF's metadata; other
        # <meta> tags (viewport) stay out of it
        "custom_metadata": False,
        "uncompressed_pdf": False,
        "pdf_tags": tags,
    }
    rendered = document.render(**options)
    pdf = rendered.write_pdf(**options)
    assert isinstance(pdf, bytes)
    return Rendered(pdf, len(rendered.pages))
