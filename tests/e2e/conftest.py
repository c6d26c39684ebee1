"""Browser tests: Playwright (Python) driving Debian's Chromium against the live server.

Playwright never downloads a browser here; it launches /usr/bin/chromium. A
missing Chromium fails the tests (it is installed by .ci/run), it never skips them."""

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

# The sync Playwright API runs an event loop in this thread; Django's ORM calls
# made by the test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
def csp_violations():
    """Chromium's console reports of what the Content-Security-Policy blocked."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("console", lambda message: is_csp_violation(message.text) and csp_violations.append(message.text))
    yield page
    # Let a request the page's own scripts started (the session form's draft
    # autosave) finish before the browser goes: one still running while the test
    # database is flushed can deadlock with the flush.
    from playwright.sync_api import Error as PlaywrightError

    for open_page in context.pages:
        # a page already closed, or never idle within the wait: it is closed anyway
        with contextlib.suppress(PlaywrightError):
            open_page.wait_for_load_state("networkidle", timeout=5000)
    context.close()
    # Every browser journey doubles as a CSP check: nothing on its pages was blocked.
    assert csp_violations == [], f"the Content-Security-Policy blocked: {csp_violations}"


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def public_page(browser, live_server, csp_violations):
    """public_page(javascript=True, phone=True): a fresh page for the public
    (patient-facing) pages, at a phone's viewport (390 x 844, touch) unless
    phone=False, with JavaScript off when javascript=False (the pages must work
    without it, issue 20). The same CSP check as `page` runs when the test ends."""
    contexts = []

    def make(javascript: bool = True, phone: bool = True):
        options = PHONE if phone else {"viewport": {"width": 1280, "height": 900}}
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript, **options)
        contexts.append(context)
        new_page = context.new_page()
        new_page.set_default_timeout(15000)
        new_page.on("console", lambda m: is_csp_violation(m.text) and csp_violations.append(m.text))
        return new_page

    yield make
    for context in contexts:
        context.close()
    assert csp_violations == [], f"the Content-Security-Policy blocked: {csp_violations}"


@pytest.fixture
def login(page):
    def _login(username, password="correct-horse-battery"):
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")

    return _login


# ---- axe-core (issue 15, item 7): WCAG 2.2 A and AA, zero violations ---------

AXE_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_RESULTS: list[dict] = []  # every page checked in this run: for the report (tests/e2e/test_accessibility.py)


def axe_violations(page) -> list[dict]:
    """Runs axe-core (npm, pinned in package-lock.json) on the page as it is
    now, for the WCAG 2.2 A and AA rules; returns its violations, each with
    its rule id, impact and the nodes' selectors. The script goes in through
    the DevTools protocol (page.evaluate), which the page's CSP does not govern;
    the page's own CSP stays on. A missing axe-core fails (make install puts it there)."""
    if not os.path.exists(AXE_PATH):
        pytest.fail(f"axe-core not found at {AXE_PATH}: run make install (npm ci)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        with open(AXE_PATH, encoding="utf-8") as f:
            page.evaluate(f.read())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 200))}));
        }""",
        AXE_TAGS,
    )
    return result


@pytest.fixture
def axe_check():
    """axe_check(page, label): asserts zero WCAG 2.2 A/AA violations on the page now."""

    def check(page, label: str = ""):
        violations = axe_violations(page)
        nodes = sum(len(v["nodes"]) for v in violations)
        AXE_RESULTS.append({"page": label or page.url, "violations": len(violations), "nodes": nodes})
        assert violations == [], f"axe-core on {label or page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} {v['nodes'][:5]}" for v in violations
        )

    return check
