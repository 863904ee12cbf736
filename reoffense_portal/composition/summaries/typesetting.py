"""HTML to a tagged PDF with WeasyPrint: embedded Japanese font, nothing fetched from outside.

Three safety choices, each for a reason:

- A restricted URL fetcher: WeasyPrint would otherwise read any `file://`,
  `http(s)://` or `data:` URL a document names. Ours serves the project's
  own static files (the stylesheet), the font files and the charts the
  document registered itself (`portal-chart:<hash>.svg`), and refuses the rest.
  Staff text is escaped by the templates, so it can never name a URL; the
  fetcher is the second wall.
- A worker process with a time limit: layout of a pathological document can
  run for minutes and a thread cannot be stopped, a process can. The worker
  comes from a fork server that has WeasyPrint imported already, so a render
  pays a fork, not an import; it gets plain strings and returns bytes, and
  never touches Django or the database.
- PDF/UA-1: tagged structure, the <title> as document title, `lang` from the
  root element, so screen readers can read the city's printout.

A process keeps the last PDFs it typeset, by a digest of all that shapes them, and answers the same
document again without typesetting: a re-approval that left the 概要版 as it was, a job run again.

This module must stay importable without Django: the fork server preloads it.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import multiprocessing
import time
from collections import OrderedDict
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

logger = logging.getLogger(__name__)

FONT_FAMILY = "BIZ UDGothic"
FONT_DIR = Path("/usr/share/fonts/truetype/bizud-gothic")
# weight → file; BIZ UDゴシック (Debian fonts-morisawa-bizud-gothic), a universal-design font for public documents.
FONT_FILES = {
    400: FONT_DIR / "BIZUDGothic-Regular.ttf",
    700: FONT_DIR / "BIZUDGothic-Bold.ttf",
}
PDF_VARIANT = "pdf/ua-1"
# Charts the document produced itself travel with the HTML and are named `portal-chart:<hash>.svg`:
# as images they are typeset far faster than as inline SVG in the HTML (no CSS cascade over every path).
CHART_SCHEME = "portal-chart"
# What the fetcher may serve from the static roots.
STATIC_SUFFIXES = {".css", ".svg", ".png", ".jpg", ".jpeg"}
WORKER_MODULE = __name__
# The PDFs this process typeset last (`render_pdf`), by digest: a few, each at most a few megabytes.
KEPT_PDFS = 8
KEPT_PDF_BYTES = 8 * 1024 * 1024
_kept: OrderedDict[str, bytes] = OrderedDict()


class PdfRenderError(Exception):
    """The PDF could not be made; `message` is for the user, in Japanese."""

    message = "PDFを作成できませんでした。時間をおいて再度お試しください。"

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.message)
        self.detail = detail


class PdfRenderTimeout(PdfRenderError):
    def __init__(self, seconds: float):
        super().__init__(f"render exceeded {seconds:g} s")
        self.seconds = seconds
        self.message = (
            f"PDFの作成が制限時間（{seconds:g}秒）内に終わらなかったため中止しました。"
            "内容を減らすか、時間をおいて再度お試しください。"
        )


class FontMissing(PdfRenderError):
    message = (
        "PDF用の日本語フォント（BIZ UDゴシック）がサーバーにありません。"
        "管理者に fonts-morisawa-bizud-gothic の導入を依頼してください。"
    )


def font_face_css() -> str:
    """@font-face rules naming the font files by file URL (served by the fetcher below)."""
    missing = [str(path) for path in FONT_FILES.values() if not path.is_file()]
    if missing:
        raise FontMissing(f"font files missing: {', '.join(missing)}")
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}'
        for weight, path in FONT_FILES.items()
    )


def _url_fetcher_class():  # long: the class is defined here so that WeasyPrint is imported only to typeset
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the font files and files under the static roots; refuses every other URL."""

        def __init__(self, static_roots: list[str], charts: dict[str, str] | None = None):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)
            self.fonts = {path.resolve() for path in FONT_FILES.values()}
            self.roots = [Path(root).resolve() for root in static_roots]
            self.charts = charts or {}

        def allowed_path(self, url: str) -> Path | None:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                return None
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if path in self.fonts:
                return path
            if path.suffix.lower() in STATIC_SUFFIXES and any(
                path.is_relative_to(r) for r in self.roots
            ):
                return path if path.is_file() else None
            return None

        def fetch(self, url, headers=None):
            scheme, _, name = url.partition(":")
            if scheme == CHART_SCHEME and name in self.charts:
                return URLFetcherResponse(
                    url, body=self.charts[name].encode(), headers={"Content-Type": "image/svg+xml"}
                )
            path = self.allowed_path(url)
            if path is None:
                logger.warning("PDF: refused to fetch %.200s", url)
                raise PermissionError(f"URL not allowed in PDFs: {url[:200]}")
            content_type = (
                "text/css" if path.suffix == ".css" else mimetypes.guess_type(path.name)[0]
            )
            return URLFetcherResponse(
                url,
                body=path.read_bytes(),
                headers={"Content-Type": content_type or "application/octet-stream"},
            )

    return StaticOnlyFetcher


def url_fetcher(static_roots: list[str], charts: dict[str, str] | None = None):
    """A fetcher for one document: static files under `static_roots`, the font files, and `charts` by name."""
    return _url_fetcher_class()(static_roots, charts)


def write_pdf(
    html: str,
    *,
    static_roots: list[str],
    charts: dict[str, str] | None = None,
    base_url: str | None = None,
) -> bytes:
    """Typeset in this process (the worker calls this; tests may too)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = url_fetcher(static_roots, charts)
    font_config = FontConfiguration()
    fonts = weasyprint.CSS(string=font_face_css(), url_fetcher=fetcher, font_config=font_config)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[fonts],
        font_config=font_config,
        pdf_variant=PDF_VARIANT,
        pdf_tags=True,
        attachments=None,
        custom_metadata=False,
    )


def _worker(connection, html: str, options: dict) -> None:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        started = time.process_time()
        pdf = write_pdf(html, **options)
        connection.send(("ok", pdf, time.process_time() - started))
    except PdfRenderError as error:
        connection.send(("error", type(error).__name__, error.detail))
    except Exception as error:  # noqa: BLE001 — every failure goes to the parent, which logs it
        connection.send(("error", type(error).__name__, str(error)[:500]))
    finally:
        connection.close()


_context = None


def _worker_context():
    """A fork server that has this module (and WeasyPrint) imported, started once per process."""
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([WORKER_MODULE, "weasyprint"])
        _context = context
    return _context


def render_pdf(
    html: str,
    *,
    static_roots: list[str],
    charts: dict[str, str] | None = None,
    base_url: str | None = None,
    timeout: float = 20,
) -> bytes:
    """Typeset `html` in a worker process; stop it and raise PdfRenderTimeout after `timeout` seconds.

    The same document typeset by this process a little earlier comes back as it was made."""
    fonts = font_face_css()  # fail fast, with the clear message, before starting a worker
    key = _digest(html, fonts, static_roots, charts, base_url)
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key]
    pdf = _typeset_in_worker(html, static_roots=static_roots, charts=charts, base_url=base_url, timeout=timeout)
    if len(pdf) <= KEPT_PDF_BYTES:
        _kept[key] = pdf
        while len(_kept) > KEPT_PDFS:
            _kept.popitem(last=False)
    return pdf


def forget_typeset() -> None:
    """Typeset every document again from now on (tests that time or count typesetting)."""
    _kept.clear()


def _digest(html: str, fonts: str, static_roots: list[str], charts: dict[str, str] | None, base_url: str | None) -> str:
    digest = hashlib.sha256()
    for part in (html, fonts, base_url or "", *static_roots, *(f"{name}\0{svg}" for name, svg in sorted((charts or {}).items()))):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _typeset_in_worker(html: str, *, static_roots: list[str], charts: dict[str, str] | None, base_url: str | None,
                       timeout: float) -> bytes:
    context = _worker_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker,
        args=(sender, html, {"static_roots": static_roots, "charts": charts, "base_url": base_url}),
        daemon=True,
    )
    started = time.perf_counter()
    process.start()
    sender.close()
    try:
        result = _answer(process, receiver, timeout, len(html))
    finally:
        receiver.close()
        process.join(5)
    if result[0] != "ok":
        _, kind, detail = result
        logger.error("PDF render failed: %s: %s", kind, detail)
        if kind == "FontMissing":
            raise FontMissing(detail)
        raise PdfRenderError(f"{kind}: {detail}")
    _, pdf, cpu_seconds = result
    logger.info(
        "PDF typeset in %.3f s (worker CPU %.3f s), %d kB",
        time.perf_counter() - started,
        cpu_seconds,
        len(pdf) // 1024,
    )
    return pdf


def _answer(process, receiver, timeout: float, html_length: int) -> tuple:
    """The worker's answer; the worker killed and PdfRenderTimeout raised when none comes within `timeout`."""
    if not receiver.poll(timeout):
        process.kill()
        logger.error(
            "PDF render stopped after %gs (pid %s, %d characters of HTML)",
            timeout,
            process.pid,
            html_length,
        )
        raise PdfRenderTimeout(timeout)
    try:
        return receiver.recv()
    except EOFError:
        logger.error(
            "PDF worker %s ended without an answer (exit code %s)",
            process.pid,
            process.exitcode,
        )
        raise PdfRenderError("worker ended without an answer") from None
