"""Issue 15, item 7: axe-core (WCAG 2.2 A and AA) finds no violation on any
page a person of each role reaches from the navigation of the demo service,
one link further (each kind of page once per role: the record, the session
and assessment forms, the patient page, the access log, a supervision review,
Incoming referrals and the allocation page, ...). A new violation fails here."""

import json
import os
import re

import pytest
from django.conf import settings

from iapt.demo import load_demo
from tests.e2e.conftest import AXE_RESULTS, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROLES = ["pwp", "trainee", "hit", "supervisor", "manager", "admin"]
SKIP = re.compile(r"^/(logout|admin|api|static|health)|/download/|/export/?$|^#|^mailto:|^javascript:")
MAX_PAGES = 30


def pattern(path: str) -> str:
    """A page's kind: its path with ids made placeholders, the query left off."""
    path = path.split("?")[0].split("#")[0]
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", path)
    return re.sub(r"/\d+/", "/<int>/", path)


def links(page) -> list[str]:
    hrefs = page.eval_on_selector_all("nav a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and not SKIP.search(h)]


@pytest.fixture
def demo(db):
    load_demo(patients=40)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_has_no_wcag_violation(page, login, demo, username):
    login(username, settings.DEMO_PASSWORD)
    queue = ["/"] + links(page)
    depth = dict.fromkeys(queue, 0)
    seen: set[str] = set()
    found: dict[str, list] = {}

    def check(kind):
        violations = axe_violations(page)
        nodes = sum(len(v["nodes"]) for v in violations)
        AXE_RESULTS.append({"role": username, "page": kind, "violations": len(violations), "nodes": nodes})
        if violations:
            found[kind] = [f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['nodes'][:3]}" for v in violations]

    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        kind = pattern(path)
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(path)
        if response is None or response.status != 200 or "/login/" in page.url:
            continue
        check(kind)
        if depth[path] < 2:
            for href in links(page):
                if href not in depth:
                    depth[href] = depth[path] + 1
                    queue.append(href)
    # Pages reached by a form rather than a link: the supervision agenda and a
    # case review in it; the session form refused, with its error summary.
    if username == "supervisor":
        page.goto("/supervision/")
        page.get_by_role("button", name=re.compile("^Open supervision with")).first.click()
        page.wait_for_url(re.compile(r"/supervision/sessions/\d+/$"))
        check("/supervision/sessions/<int>/ (agenda)")
        review = page.get_by_role("link", name="Review").first
        if review.count():
            review.click()
            page.wait_for_load_state()
            check("/supervision/sessions/<int>/cases/<uuid>/ (review)")
    if username == "pwp":
        page.goto("/caseload/")
        page.locator("#caseload-table a.log-session").first.click()
        page.locator("#id_PHQ9_1_2").click()
        page.locator("#id_PHQ9_9_1").click()
        page.get_by_role("button", name="Save session").click()
        page.locator("#error-summary").wait_for()
        check("/referrals/<uuid>/sessions/new/ (refused: error summary, risk open)")

    checked = [r for r in AXE_RESULTS if r.get("role") == username]  # axe_check rows (public pages) carry no role
    report = os.path.join(settings.BASE_DIR, "var", "axe-report.jsonl")
    os.makedirs(os.path.dirname(report), exist_ok=True)
    with open(report, "a", encoding="utf-8") as f:
        for row in checked:
            f.write(json.dumps(row) + "\n")
    assert len(checked) >= 4, f"{username} reached only {len(checked)} pages"
    assert found == {}, json.dumps(found, indent=1)
