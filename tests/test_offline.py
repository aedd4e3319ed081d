"""Installable and readable offline: the manifest, the service worker and its offline page,
browser caching of static files, Vary only where the session matters, compression, the
print stylesheet and link previews; in Chromium, a lesson opened once reads again offline."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.browser import chromium, live_server
from tests.factories import login_as

LESSON_PAGE = "/courses/nguoi-dan/b03-tim-kiem"


def first_lesson(client) -> str:
    page = client.get(LESSON_PAGE).text
    return re.search(r'href="(/courses/nguoi-dan/b03-tim-kiem/[^"/]+)"', page).group(1)


def fetch(client, url: str, **kwargs):
    """GET and read the whole body, so the static file the app opened is closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_fingerprinted_static_files_are_kept_a_year(client):
    home = client.get("/").text
    css = next(url for url in static_urls(home) if "app.css" in url)
    assert "?v=" in css
    response = fetch(client, css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Cookie" not in response.headers.get("Vary", "")
    # Without its fingerprint, or with an old one, the same file is only kept an hour.
    for url in (css.split("?")[0], css.split("?")[0] + "?v=000000000000"):
        assert fetch(client, url).headers["Cache-Control"] == "public, max-age=3600"


def test_vary_cookie_only_where_the_session_matters(client):
    for path in ("/healthz", "/robots.txt", "/manifest.webmanifest", "/sw.js", "/favicon.ico"):
        response = fetch(client, path)
        assert response.status_code == 200, path
        assert "Cookie" not in response.headers.get("Vary", ""), path
    # A page shows the menu of whoever is signed in: it does vary by the session cookie.
    assert "Cookie" in client.get("/").headers.get("Vary", "")


def test_pages_and_assets_are_compressed_for_clients_that_accept_it(client):
    plain = client.get("/courses")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/courses", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data).decode().count("<h2") == plain.text.count("<h2")
    assert len(packed.data) < len(plain.data) / 2
    css = next(url for url in static_urls(plain.text) if "app.css" in url)
    asset = fetch(client, css, headers={"Accept-Encoding": "gzip"})
    assert asset.headers["Content-Encoding"] == "gzip" and b"offline-badge" in gzip.decompress(asset.data)
    # A compressed static file keeps its tag, weak, and a repeat visit still gets a 304.
    etag = asset.headers["ETag"]
    assert etag.startswith('W/"')
    again = fetch(client, css, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304


def test_brotli_when_the_package_is_installed(client):
    brotli = pytest.importorskip("brotli")
    response = client.get("/courses", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "<h1>" in brotli.decompress(response.data).decode()


def test_no_compression_behind_a_proxy_unless_asked(make_app):
    behind = make_app(PROXY_FIX_X_FOR=1).test_client()
    assert "Content-Encoding" not in behind.get("/courses", headers={"Accept-Encoding": "gzip"}).headers
    asked = make_app(PROXY_FIX_X_FOR=1, COMPRESS=1).test_client()
    assert asked.get("/courses", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    off = make_app(COMPRESS=0).test_client()
    assert "Content-Encoding" not in off.get("/courses", headers={"Accept-Encoding": "gzip"}).headers


def test_manifest_makes_the_app_installable(client):
    home = client.get("/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in home
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Học số cộng đồng" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for src in sizes.values():
        icon = fetch(client, src)
        assert icon.status_code == 200 and icon.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_service_worker_precaches_the_fingerprinted_layout(client):
    home = client.get("/").text
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.text
    for url in static_urls(home):
        if url.startswith("/static/core/"):
            assert json.dumps(url) in body, url
    assert '"/offline"' in body
    offline = client.get("/offline")
    assert offline.status_code == 200 and "Không có mạng" in offline.text


def test_lesson_page_has_a_link_preview_and_prints_without_the_chrome(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://hocso.example.gov.vn"
    try:
        path = first_lesson(client)
        page = client.get(path).text
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://localhost:5000"
    title = re.search(r"<h1 lang=\"vi\">([^<]+)</h1>", page).group(1)
    assert f'<meta property="og:title" content="{title}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:url" content="https://hocso.example.gov.vn{path}">' in page
    assert '<meta property="og:image" content="https://hocso.example.gov.vn/static/core/icons/icon-512.png?v=' in page
    description = re.search(r'<meta name="description" content="([^"]+)">', page).group(1)
    assert 20 < len(description) <= 200 and "<" not in description
    assert re.search(r'<meta property="og:description" content="[^"]+">', page)
    css = fetch(client, next(url for url in static_urls(page) if "app.css" in url)).text
    printed = css[css.index("@media print") :]
    for hidden in (".top", ".foot", ".pager", ".lesson-end", "button"):
        assert hidden in printed.split("{display:none")[0], hidden


def test_lesson_content_is_marked_vietnamese_in_english(client):
    path = first_lesson(client)
    page = client.get(path + "?lang=en").text
    assert '<html lang="en">' in page
    assert '<div class="lesson-body" lang="vi">' in page
    assert re.search(r'<h1 lang="vi">', page)
    module = client.get(LESSON_PAGE + "?lang=en").text
    assert '<h1 lang="vi">' in module


def test_module_page_offers_to_save_it_for_offline(app, factory):
    client, *_ = login_as(app, factory)
    page = client.get(LESSON_PAGE).text
    button = re.search(r"<button[^>]*data-save-offline[^>]*>", page, re.S).group(0)
    urls = json.loads(re.search(r'data-urls="([^"]+)"', button).group(1).replace("&#34;", '"'))
    lessons = re.findall(r'href="(/courses/nguoi-dan/b03-tim-kiem/[^"/]+)"', page)
    assert urls == ["/courses/nguoi-dan", LESSON_PAGE] + [u for u in lessons if not u.endswith("/quiz")]
    assert "Lưu học phần để học khi không có mạng" in page


@pytest.mark.browser
def test_lesson_opened_once_reads_again_offline(app, factory):
    """Chromium's offline emulation: open a lesson, go offline, reload: the lesson is there,
    styled (CSS from the cache), with the offline badge; a page never opened shows the
    offline page."""
    with live_server(app) as base, chromium() as page:
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + LESSON_PAGE)
        lesson = page.locator("ol.lessons a").first.get_attribute("href")
        # The worker controls the page once it is active (clients.claim); the lesson is opened
        # again under its control, as a learner's next visit would be (the first open may come
        # before the worker is active, more so on a busy machine).
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", polling=200)
        page.goto(base + lesson)
        title = page.locator("h1").inner_text()
        page.wait_for_function(
            "href => caches.open('lms-pages-v1').then(c => c.match(href)).then(r => !!r)", arg=base + lesson, polling=200
        )
        assert not page.locator(".offline-badge").is_visible()
        page.context.set_offline(True)
        page.reload()
        assert page.locator("h1").inner_text() == title
        assert page.locator(".offline-badge").is_visible()
        brand = page.evaluate("getComputedStyle(document.querySelector('.top')).backgroundColor")
        assert brand == "rgb(11, 92, 173)"  # app.css came from the worker's cache
        page.goto(base + "/courses/nguoi-dan/b04-tai-khoan")
        assert page.get_by_role("heading", name="Không có mạng").is_visible()
        page.context.set_offline(False)
    assert errors == []


@pytest.mark.browser
def test_saved_module_reads_offline_without_opening_its_lessons(app, factory):
    from tests.browser import screenshot

    client, auth, uid, phone = login_as(app, factory)
    with live_server(app) as base, chromium() as page:
        page.goto(base + "/login")
        page.get_by_label("Số điện thoại di động").fill(phone)
        page.get_by_label("Mật khẩu").fill("mat-khau-123")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(base + "/")
        page.goto(base + LESSON_PAGE)
        page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)")
        lessons = [page.locator("ol.lessons a").nth(i).get_attribute("href") for i in range(page.locator("ol.lessons a").count())]
        page.get_by_role("button", name="Lưu học phần để học khi không có mạng").click()
        page.get_by_text(f"Đã lưu {len(lessons) + 2} trang.", exact=False).wait_for()
        screenshot(page, "module-saved-offline")
        page.context.set_offline(True)
        page.goto(base + lessons[-1])
        assert page.locator(".lesson h1").is_visible()
        assert page.locator(".offline-badge").is_visible()
        page.context.set_offline(False)
        # Signing out empties the saved pages: the next person on this phone does not read them.
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_function("caches.open('lms-pages-v1').then(c => c.keys()).then(k => k.length === 0)", polling=200)
