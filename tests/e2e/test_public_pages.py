"""The public pages' frame (issue 20): the NHS design system served by this site,
at a phone's viewport, with and without JavaScript, zero axe-core violations and
nothing blocked by the strict CSP.

With JavaScript off Playwright cannot evaluate in the page (page.evaluate waits for
ever), so the no-JS run reads the page through locators only; axe-core runs on the
JavaScript run of the same page (the markup is the same: the only script-made
difference is the body's "js-enabled" class)."""

NHS_BLUE = "rgb(0, 94, 184)"


def test_urgent_help_page_on_a_phone(public_page, axe_check):
    page = public_page(javascript=True)
    response = page.goto("/help/urgent/")
    assert response.status == 200
    assert "no-store" in response.headers["cache-control"]
    # nhsuk-frontend's stylesheet came from this site (the header is NHS blue)
    assert page.locator("header.nhsuk-header").evaluate("e => getComputedStyle(e).backgroundColor") == NHS_BLUE
    assert page.get_by_role("heading", level=1).inner_text() == "Get help now"
    for number in ("999", "111", "116 123"):
        assert number in page.locator("main").inner_text()
    assert "js-enabled" in page.locator("body").get_attribute("class")
    # the page fits a phone: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, "urgent help (phone)")


def test_urgent_help_page_without_javascript(public_page):
    page = public_page(javascript=False)
    response = page.goto("/help/urgent/")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Get help now"
    assert "116 123" in page.locator("main").inner_text()
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
