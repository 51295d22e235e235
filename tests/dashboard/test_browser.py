"""The dashboard in a real browser (headless Chromium) against a real `serve` on the sandbox:
a customer signs in, searches, orders, watches the order become ready without reloading, reveals
credentials and signs out; at 375 px the sign-in form works from the keyboard; an operator
credits a wallet and retries a parked order; every page, at 1280 and at 375 px, is walked by
Tab (each control reached in turn, focusable and named) and does not scroll sideways."""

from __future__ import annotations

import re

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import OWNER, unique, wait_until
from tests.dashboard.conftest import DashboardServe, shot

pytestmark = [pytest.mark.slow, pytest.mark.backend_independent]
WAIT = 90  # seconds: provisioning on the sandbox, on a loaded machine


def wait_for(browser, condition, timeout: float = WAIT):
    return WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda b: condition(b))


def text_of(browser, css: str) -> str:
    """The element's text, read in one step (a polled part of the page may be replaced meanwhile)."""
    text = browser.execute_script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", css)
    assert text is not None, f"no {css} in {browser.current_url}"
    return " ".join(text.split())


def sign_in(browser, dashboard: DashboardServe, key: str) -> None:
    browser.get(f"{dashboard.base_url}/dashboard")  # not signed in: sent to the form
    assert browser.current_url.endswith("/dashboard/sign-in")
    field = browser.find_element(By.ID, "key")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=key]").text == "API key"
    field.send_keys(key)
    field.submit()
    wait_for(browser, lambda b: not b.current_url.endswith("/sign-in"), 30)


def sign_out(browser) -> None:
    browser.find_element(By.XPATH, "//button[text()='Sign out']").click()
    wait_for(browser, lambda b: b.current_url.endswith("/dashboard/sign-in"), 30)


def tab_to(browser, element_id: str, most: int = 6) -> bool:
    """Presses Tab until the element has the focus (at most `most` times)."""
    for _ in range(most):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element.get_attribute("id") == element_id:
            return True
    return False


def fits(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_serve_prints_the_dashboard_address(dashboard_serve: DashboardServe) -> None:
    assert dashboard_serve.dashboard_url == f"{dashboard_serve.base_url}/dashboard"


def test_a_customer_orders_watches_it_become_ready_reveals_credentials_and_signs_out(browser, dashboard_serve: DashboardServe) -> None:
    sign_in(browser, dashboard_serve, dashboard_serve.demo_key)
    assert text_of(browser, "#balance").endswith(" USD")
    before = text_of(browser, "#balance")

    browser.find_element(By.LINK_TEXT, "Order").click()
    phrase = f"hooli {unique('x')[:7]}"
    query = browser.find_element(By.ID, "query")
    query.send_keys(phrase)
    query.submit()
    wait_for(browser, lambda b: b.find_elements(By.ID, "order-form"), 30)
    first_box = browser.find_elements(By.CSS_SELECTOR, "input[name=domain]:not([disabled])")[0]
    domain = first_box.get_attribute("value")
    first_box.click()
    browser.find_element(By.ID, "first_name").send_keys("Jared")
    browser.find_element(By.ID, "last_name").send_keys("Dunn")
    browser.find_element(By.CSS_SELECTOR, "input[name=pattern][value='first.last']").click()  # besides first@, checked
    shot(browser, "order")
    browser.find_element(By.ID, "review").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "total"), 30)
    total = text_of(browser, "#total")
    assert total.endswith(" USD") and f"jared@{domain}" in browser.page_source and f"jared.dunn@{domain}" in browser.page_source
    shot(browser, "order-review")

    browser.find_element(By.ID, "pay").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "order-status"), 30)
    browser.execute_script("window.notReloaded = true")
    wait_for(browser, lambda b: text_of(b, "#order-status") == "completed")
    assert browser.execute_script("return window.notReloaded") is True  # the progress came by polling
    shot(browser, "order-progress")

    browser.find_element(By.LINK_TEXT, domain).click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "dns-records"), 30)
    assert text_of(browser, "#domain-status") == "ready"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#dns-records tbody tr")) == len(browser.find_elements(By.CSS_SELECTOR, "#dns-records .ok"))
    shot(browser, "domain")

    browser.find_element(By.LINK_TEXT, f"jared.dunn@{domain}").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "reveal"), 30)
    password = httpx.get(f"{dashboard_serve.base_url}/rest/v2/domains/{domain}/mailboxes/jared.dunn@{domain}",
                         headers={"x-api-key": dashboard_serve.demo_key}, timeout=30).json()["smtp_password"]
    assert password and password not in browser.page_source
    browser.find_element(By.ID, "reveal").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "password"), 30)
    assert text_of(browser, "#password") == password
    assert re.fullmatch(r"\d{6}", text_of(browser, "#otp"))
    first = int(text_of(browser, "#countdown"))
    wait_for(browser, lambda b: int(text_of(b, "#countdown")) != first, 10)  # it counts down
    shot(browser, "mailbox")

    browser.find_element(By.LINK_TEXT, "Overview").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "balance"), 30)
    assert text_of(browser, "#balance") != before
    shot(browser, "overview")
    sign_out(browser)
    browser.get(f"{dashboard_serve.base_url}/dashboard/domains")
    assert browser.current_url.endswith("/dashboard/sign-in")


def test_at_375_px_the_pages_fit_and_sign_in_works_from_the_keyboard(browser, dashboard_serve: DashboardServe) -> None:
    browser.set_window_size(375, 812)
    browser.get(f"{dashboard_serve.base_url}/dashboard/sign-in")
    assert fits(browser)
    browser.execute_script("document.activeElement.blur()")
    assert tab_to(browser, "key"), "the API key field is not reachable with Tab"
    ActionChains(browser).send_keys(dashboard_serve.demo_key, Keys.TAB).perform()
    assert browser.switch_to.active_element.text == "Sign in"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for(browser, lambda b: b.find_elements(By.ID, "balance"), 30)
    for path in ("/dashboard", "/dashboard/domains", "/dashboard/order?query=pied+piper"):
        browser.get(f"{dashboard_serve.base_url}{path}")
        assert fits(browser), path
    for control in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select"):
        control_id = control.get_attribute("id")
        assert control_id and browser.find_elements(By.CSS_SELECTOR, f"label[for='{control_id}']"), control.get_attribute("name")
    shot(browser, "order-375")
    sign_out(browser)


def test_an_operator_credits_a_wallet_and_retries_a_parked_order(browser, dashboard_serve: DashboardServe) -> None:
    api = httpx.Client(base_url=dashboard_serve.base_url, headers={"x-api-key": dashboard_serve.demo_key}, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    parked_domain = f"action-{unique('p')}.com"  # the sandbox parks it once (needs a person)
    placed = api.post("/rest/v2/domains/order", json={
        "provider": "MAILDOSO", "domains": [parked_domain],
        "mailboxes": [{"first_name": "Monica", "last_name": "Hall", "email": f"monica@{parked_domain}"}],
    })
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]
    wait_until(lambda: api.get(f"/rest/v2/domains/orders/{order_id}").json()["status"] == "needs_action", timeout=WAIT, interval=0.2)

    sign_in(browser, dashboard_serve, dashboard_serve.operator_key())
    assert browser.current_url.endswith("/dashboard/operator/accounts")
    shot(browser, "operator-accounts")
    browser.find_element(By.LINK_TEXT, "Demo").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "amount"), 30)
    before = text_of(browser, "#balance")
    browser.find_element(By.ID, "amount").send_keys("50.00")
    browser.find_element(By.ID, "description").send_keys("Goodwill credit")
    browser.find_element(By.ID, "credit").click()
    wait_for(browser, lambda b: "Goodwill credit" in b.page_source, 30)
    after = text_of(browser, "#balance")
    assert float(after.split()[0]) - float(before.split()[0]) == pytest.approx(50.0)

    browser.find_element(By.LINK_TEXT, "Work that waits").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "waiting"), 30)
    assert parked_domain in browser.page_source and "verify" in browser.page_source  # the sandbox's reason
    shot(browser, "operator-work")
    browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Retry order {order_id}']").click()
    wait_for(browser, lambda b: f"Retry order {order_id}" not in b.page_source, 30)
    final = wait_until(lambda: (s := api.get(f"/rest/v2/domains/orders/{order_id}").json())["status"] != "processing" and s,
                       timeout=WAIT, interval=0.2)
    assert final["status"] == "completed", final
    browser.find_element(By.LINK_TEXT, "Providers").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "providers"), 30)
    assert "Everything runs on the sandbox." in text_of(browser, "#providers-ok")
    sign_out(browser)


def test_a_bulk_order_with_a_bad_line_is_fixed_paid_and_its_credentials_downloaded(
    browser, dashboard_serve: DashboardServe, tmp_path, downloads_dir
) -> None:
    domain = f"{unique('bulk')}.com"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"domain,first_name,last_name,email\n{domain},Dinesh,Chugtai,dinesh@{domain}\n{domain},Bertram,Gilfoyle\n")
    good = tmp_path / "good.csv"
    good.write_text(f"domain,first_name,last_name,email\n{domain},Dinesh,Chugtai,dinesh@{domain}\n{domain},Bertram,Gilfoyle,gilfoyle@{domain}\n")
    sign_in(browser, dashboard_serve, dashboard_serve.demo_key)
    browser.get(f"{dashboard_serve.base_url}/dashboard/order/bulk")
    browser.find_element(By.ID, "file").send_keys(str(bad))
    browser.find_element(By.ID, "review").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".problems li"), 30)
    assert text_of(browser, ".problems li") == "Line 3: 3 cells; each line has 4 (domain,first_name,last_name,email)"
    shot(browser, "bulk-problems")
    check_page(browser, "bulk order, its problems listed")
    browser.find_element(By.ID, "file").send_keys(str(good))
    browser.find_element(By.ID, "review").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "total"), 30)
    assert text_of(browser, "#total") == "21.00 USD"
    check_page(browser, "bulk order review")
    browser.find_element(By.ID, "pay").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "order-status"), 30)
    wait_for(browser, lambda b: text_of(b, "#order-status") == "completed")

    browser.find_element(By.LINK_TEXT, domain).click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "download"), 30)
    browser.find_element(By.CSS_SELECTOR, "#format option[value=generic]").click()
    browser.find_element(By.ID, "download").click()
    csv_file = wait_for(browser, lambda b: next((p for p in downloads_dir.glob("mailwright-generic-*.csv")), None), 30)
    lines = wait_until(lambda: (text := csv_file.read_text()).count("\n") == 3 and text.splitlines(), timeout=10)
    assert lines[0].startswith('"email","first_name"')
    assert [line.split(",")[0] for line in lines[1:]] == [f'"dinesh@{domain}"', f'"gilfoyle@{domain}"']
    sign_out(browser)


# One pass over a page's focusable controls (a, button, input, select, textarea, summary,
# [tabindex]): each one's accessible name as a browser computes it (the simple cases our pages
# use: aria-label, aria-labelledby, a <label>, or the control's own text, value or alt), a
# positive tabindex, a control that takes the focus while it cannot be seen (checked while it has
# it: a skip link may show itself on focus), or one inside aria-hidden. It numbers the controls
# Tab should reach, in document order, and records from now on the number of each one focused
# (an element Tab reaches that is none of those, e.g. a scrolling box, is recorded as -1).
AUDIT_CONTROLS = """
const clean = (s) => (s || "").replace(/\\s+/g, " ").trim();
const ownText = (e) => clean(e.innerText || e.textContent) || clean([...e.querySelectorAll("img[alt]")].map((i) => i.alt).join(" "));
function accessibleName(e) {
  const labelledBy = (e.getAttribute("aria-labelledby") || "").split(/\\s+/).map((id) => document.getElementById(id)).filter(Boolean);
  const candidates = [e.getAttribute("aria-label"), labelledBy.map((l) => l.textContent).join(" "), [...(e.labels || [])].map((l) => l.textContent).join(" ")];
  if (e.tagName === "INPUT") candidates.push(["submit", "button", "reset"].includes(e.type) ? e.value : e.type === "image" ? e.alt : "");
  else if (!["SELECT", "TEXTAREA"].includes(e.tagName)) candidates.push(ownText(e));
  return candidates.map(clean).find((name) => name) || "";
}
const describe = (e) => e.outerHTML.slice(0, 120);
function seen(e) {  // on the page (not pushed off its left or top edge), larger than a pixel, not transparent
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 1 && r.height > 1 && r.right + scrollX > 0 && r.bottom + scrollY > 0 && s.visibility !== "hidden" && Number(s.opacity) > 0;
}
const problems = [], order = [];
document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]").forEach((e) => {
  if (!accessibleName(e)) problems.push("no accessible name: " + describe(e));
  if (e.tabIndex > 0) problems.push("tabindex > 0: " + describe(e));
  if (e.disabled || e.tabIndex < 0) return;
  e.focus({preventScroll: true});
  if (document.activeElement !== e) return;  // not focusable (display: none, inert)
  if (!seen(e)) problems.push("focusable but hidden: " + describe(e));
  if (e.closest("[aria-hidden=true]")) problems.push("focusable inside aria-hidden: " + describe(e));
  e.dataset.tabOrder = String(order.length);
  order.push(describe(e));
});
document.body.tabIndex = -1;  // Tab then starts from the top, not after the last control focused
document.body.focus();
window.scrollTo(0, 0);
window.focused = [];
if (!window.focusRecorded) {  // once per page: the audit runs again at the next width
  window.focusRecorded = true;
  document.addEventListener("focusin", (event) => {
    if (event.target !== document.body) window.focused.push(Number(event.target.dataset.tabOrder ?? -1));
  });
}
return [problems, order];
"""


def audit_keyboard(browser, label: str) -> None:
    """Every control on the page is named and reached by Tab from the top, in document order."""
    problems, order = browser.execute_script(AUDIT_CONTROLS)
    assert problems == [], f"{label}: {problems}"
    ActionChains(browser).send_keys(Keys.TAB * len(order)).perform()
    reached = browser.execute_script("return window.focused")
    assert reached == list(range(len(order))), f"{label}: Tab reached {reached}, not each of {order} in turn"


WIDTHS = ((1280, 900), (375, 812))


def check_page(browser, label: str) -> None:
    """The page shown now, at each width in turn (the window resized, the page not reloaded: a
    page answering a form stays as it is): it does not scroll sideways, and the keyboard audit."""
    try:
        for width, height in WIDTHS:
            browser.set_window_size(width, height)
            wait_for(browser, lambda b: b.execute_script("return window.innerWidth") == width, 10)
            assert fits(browser), f"{label} scrolls sideways at {width} px: {too_wide(browser)}"
            audit_keyboard(browser, f"{label} at {width} px")
    finally:
        browser.set_window_size(*WIDTHS[0])


def check_pages(browser, dashboard: DashboardServe, paths: tuple[str, ...]) -> None:
    for path in paths:
        browser.get(f"{dashboard.base_url}{path}")
        check_page(browser, path)


def test_every_page_is_walked_by_keyboard_and_none_scrolls_sideways_at_375_or_1280_px(browser, dashboard_serve: DashboardServe) -> None:
    base = dashboard_serve.base_url
    api = httpx.Client(base_url=base, headers={"x-api-key": dashboard_serve.demo_key}, timeout=30)
    api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
    hook = api.post("/rest/v1/webhooks/subscribe", json={"target_url": "https://127.0.0.1:9/hooks", "event": "order.completed"})
    assert hook.status_code == 201, hook.text
    reseller = httpx.Client(base_url=f"{base}/api/v1/integration", headers={"cmr-x-api-key": dashboard_serve.demo_key}, timeout=30)
    user = reseller.post("/users", json={
        "email": f"{unique('u')}@example.com", "firstName": "Laurie", "lastName": "Bream", "companyName": "Raviga",
        "phone": "+1.6505550123", "address": "2 Sand Hill Road", "city": "Menlo Park", "state": "CA", "country": "US", "zipCode": "94025",
    })
    assert user.status_code == 201, user.text

    browser.get(f"{base}/dashboard/sign-in")
    check_page(browser, "sign-in")
    # The customer orders first (the review page answers a form), provisioned meanwhile.
    sign_in(browser, dashboard_serve, dashboard_serve.demo_key)
    browser.get(f"{base}/dashboard/order?query=" + f"a11y {unique('x')[:7]}".replace(" ", "+"))
    first_box = browser.find_elements(By.CSS_SELECTOR, "input[name=domain]:not([disabled])")[0]
    domain = first_box.get_attribute("value")
    first_box.click()
    browser.find_element(By.ID, "first_name").send_keys("Carla")
    browser.find_element(By.ID, "last_name").send_keys("Walton")
    browser.find_element(By.ID, "review").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "pay"), 30)
    check_page(browser, "order review")
    browser.find_element(By.ID, "pay").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "order-status"), 30)
    order_path = browser.current_url.removeprefix(base)
    sign_out(browser)

    sign_in(browser, dashboard_serve, dashboard_serve.operator_key())
    demo = browser.find_element(By.LINK_TEXT, "Demo").get_attribute("href").removeprefix(base)
    check_pages(browser, dashboard_serve, ("/dashboard/operator/accounts", demo, "/dashboard/operator/work", "/dashboard/operator/providers"))
    sign_out(browser)

    sign_in(browser, dashboard_serve, dashboard_serve.demo_key)
    browser.get(f"{base}{order_path}")
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#order-progress [data-final]"))  # no longer replaced by polling
    assert text_of(browser, "#order-status") == "completed"
    check_page(browser, "order status")
    check_pages(browser, dashboard_serve, (
        "/dashboard", "/dashboard/order?query=pied+piper", "/dashboard/order/bulk", "/dashboard/order/owner", "/dashboard/domains",
        "/dashboard/domains?q=a11y&status=ready", f"/dashboard/domains/{domain}", f"/dashboard/domains/{domain}/mailboxes/carla@{domain}",
        "/dashboard/downloads", "/dashboard/subscriptions", "/dashboard/webhooks", f"/dashboard/webhooks/{hook.json()['id']}",
        "/dashboard/users", f"/dashboard/users/{user.json()['data']['userId']}", "/dashboard/domains/not-ours.com",
    ))
    browser.get(f"{base}/dashboard/domains/{domain}/mailboxes/carla@{domain}")
    browser.find_element(By.ID, "reveal").click()
    wait_for(browser, lambda b: b.find_elements(By.ID, "password"), 30)
    check_page(browser, "mailbox with its credentials shown")
    sign_out(browser)


def too_wide(browser) -> list[str]:
    """The elements that reach past the window's right edge (for the failure's message)."""
    return browser.execute_script(
        "return [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth)"
        ".map((e) => e.outerHTML.slice(0, 80))")
