"""The role walk: a user of one role opens every page their navigation leads to, and every page one
link further, in a real browser at phone width (390×844) and at desktop width (1280×800), as a new
user clicking around the demo town would. It fails on what such a user would meet:

- a link that answers 403, 404 or 500 (every link found on a walked page is requested; links are
  offered only where the user may follow them),
- a date or time input whose server-filled value the browser shows empty (the HTML carries a value
  in a format the input does not accept),
- sideways scrolling on a phone,
- a visible English error (Django's or the browser's defaults),
- anything the Content-Security-Policy blocked (an inline style or script, an outside request).

Pages are rendered once per URL shape (numbers in the path stand for any id), so a list of 200
concerns costs one detail page, not 200; every distinct link is still requested. Buttons that POST
are not pressed (the walk changes nothing); their targets are checked by the app's own tests.
"""

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# Not followed: leaving the session, the admin site (a separate tool with its own look), the API
# (JSON for machines), and files (checked for their status only, never rendered).
SKIP_PATHS = re.compile(r"^/(accounts/logout|admin/|api/|open311/|static/|csp-report)")
ENGLISH_ERRORS = re.compile(
    r"Bad Request|Forbidden|Not Found|Server Error|Page not found|This field is required|Enter a valid"
    r"|Please fill out|CSRF verification failed|Traceback|Method Not Allowed"
)
DEMO_PASSWORD = "Guanqiao@2019"
MAX_RENDERED = 90  # pages rendered per role and width (a safety bound; the demo needs fewer)

CHECK_PAGE = """() => {
  const empty = Array.from(document.querySelectorAll(
      'input[type=date], input[type=datetime-local], input[type=time], input[type=month]'))
    .filter(i => i.getAttribute('value') && !i.value)
    .map(i => `${i.name || i.id}=${i.getAttribute('value')}`);
  return {
    emptyDates: empty,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    text: document.body ? document.body.innerText : '',
    csp: window.__cspViolations || [],
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
  };
}"""

RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || ''} ${e.sourceFile || ''}:${e.lineNumber || ''}`);
});
"""


def shape(path):
    """The URL shape a page stands for: ids (and reference numbers) in the path as {n}."""
    return re.sub(r"/[^/]*\d[^/]*(?=/)", "/{n}", urlsplit(path).path)


@dataclass
class WalkReport:
    role: str
    rendered: list = field(default_factory=list)
    requested: int = 0
    problems: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # path -> seconds spent on it (requests and renders)

    def add(self, where, what):
        self.problems.append(f"[{self.role}] {where}: {what}")


def _local(base, href):
    """The path?query of a same-origin link, or None for what the walk does not follow."""
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:", "blob:")):
        return None
    url = urlsplit(urljoin(base + "/", href))
    if url.netloc and url.netloc != urlsplit(base).netloc:
        return None
    path = url.path + (f"?{url.query}" if url.query else "")
    return None if SKIP_PATHS.match(url.path) else path


def walk(contexts, base, start_paths, *, role):
    """Walk from `start_paths` (the navigation) one link deep; every page is rendered in each of
    `contexts` ({"phone": context, "desktop": context}, signed in as the same user), every link is
    requested once. Returns a WalkReport."""
    report = WalkReport(role=role)
    pages, console_csp = {}, []
    for width, context in contexts.items():
        context.add_init_script(RECORD_CSP)
        pages[width] = context.new_page()
        pages[width].on("console", lambda msg: console_csp.append(msg.text)
                        if msg.type == "error" and "Content Security Policy" in msg.text else None)
    cookie_jar = next(iter(contexts.values()))
    statuses = {}  # path -> (status, is_html)

    def request(path):
        if path not in statuses:
            started = time.monotonic()
            statuses[path] = _fetch(base + path, cookie_jar.cookies())
            report.requested += 1
            report.seconds[path] = report.seconds.get(path, 0) + time.monotonic() - started
        return statuses[path]

    def broken(status):
        return status in (403, 404) or status >= 500

    seen_shapes = set()
    queue = [(p, 0, "导航") for p in start_paths]
    while queue and len(report.rendered) < MAX_RENDERED:
        path, depth, source = queue.pop(0)
        status, is_html = request(path)
        if broken(status):
            report.add(path, f"answers {status} (linked from {source})")
            continue
        key = shape(path) if depth else path
        if not is_html or status >= 400 or key in seen_shapes:
            continue
        seen_shapes.add(key)
        report.rendered.append(path)
        links = set()
        started = time.monotonic()
        for width, page in pages.items():
            console_csp.clear()
            page.goto(base + path, wait_until="load")
            # A chart's tooltip is drawn on hover: hover one. (Asked with evaluate, the same CSS
            # selector, our pages having no shadow roots for Playwright's engine to pierce: a
            # locator's first use on a page costs ~30-50 ms of setting up that engine there.)
            if page.evaluate("() => document.querySelector('[data-chart][data-rendered]') !== null"):
                page.locator("[data-chart][data-rendered]").first.hover()
                page.wait_for_timeout(200)
            found = page.evaluate(CHECK_PAGE)
            where = f"{path} ({width})"
            for item in found["emptyDates"]:
                report.add(where, f"date input shown empty though the HTML carries {item}")
            if width == "phone" and found["scrollWidth"] > found["innerWidth"] + 1:
                report.add(where, f"scrolls sideways ({found['scrollWidth']}px > {found['innerWidth']}px)")
            english = ENGLISH_ERRORS.search(found["text"])
            if english:
                report.add(where, f"shows English error text “{english.group(0)}”")
            for violation in found["csp"] + console_csp:
                report.add(where, f"CSP violation: {violation}")
            links.update(t for t in (_local(base, h) for h in found["links"]) if t)
        report.seconds[path] = report.seconds.get(path, 0) + time.monotonic() - started
        for target in sorted(links):
            if depth == 0:
                queue.append((target, 1, path))
            else:
                link_status = request(target)[0]
                if broken(link_status):
                    report.add(target, f"answers {link_status} (linked from {path})")
    for page in pages.values():
        page.close()
    return report


def _fetch(url, cookies):
    """(status, is_html) of a GET of `url` with the browser's cookies, redirects followed. Sent by
    Python, not through the browser's request API: a round trip to Playwright's driver cost about
    30 ms a request, a third of the walk. Files are read whole (long exports are background jobs,
    started by POST)."""
    headers = {"Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            response.read()
            status, kind = response.status, response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        status, kind = error.code, error.headers.get("content-type", "")
    return status, kind.startswith("text/html")


def nav_paths(context, base):
    """The paths of the signed-in user's main navigation (the home page's menu)."""
    page = context.new_page()
    page.goto(base + "/", wait_until="load")
    hrefs = page.eval_on_selector_all(".mainnav a[href]", "els => els.map(a => a.getAttribute('href'))")
    page.close()
    paths = [p for p in (_local(base, h) for h in hrefs) if p]
    return ["/", *[p for p in paths if p != "/"]]


def walk_role(browser, live_server, browser_login, username, tmp_path):
    """Sign `username` in and walk from their navigation; returns the problems found."""
    from zhenwu.accounts.models import User

    user = User.objects.get(username=username)
    phone = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **PHONE)
    phone.set_default_timeout(20_000)
    browser_login(phone.new_page(), user, password=DEMO_PASSWORD)
    state = phone.storage_state()
    desktop = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  storage_state=state, **DESKTOP)
    desktop.set_default_timeout(20_000)
    start = nav_paths(phone, live_server.url)
    assert len(start) > 1, f"{username} has no navigation"
    report = walk({"phone": phone, "desktop": desktop}, live_server.url, start, role=username)
    phone.close()
    desktop.close()
    return _reported(report, tmp_path)


def walk_public(browser, live_server, paths, tmp_path):
    """A resident's walk (signed in as nobody) from `paths`; returns the problems found."""
    contexts = {width: browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           **options) for width, options in (("phone", PHONE), ("desktop", DESKTOP))}
    report = walk(contexts, live_server.url, paths, role="resident")
    for context in contexts.values():
        context.close()
    return _reported(report, tmp_path)


def _reported(report, tmp_path):
    slowest = sorted(report.seconds.items(), key=lambda item: -item[1])[:8]
    summary = (f"{report.role}: {len(report.rendered)} pages rendered twice, {report.requested} requested, "
               f"{sum(report.seconds.values()):.0f} s; slowest: " + ", ".join(f"{p} {s:.1f} s" for p, s in slowest))
    (tmp_path / "walk.txt").write_text("\n".join([summary, *report.problems]), encoding="utf-8")
    print(summary)
    return report.problems
