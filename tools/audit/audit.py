"""make audit: Lighthouse (tools/audit/node_modules, phone profile) with Debian's Chromium on
the landing page, sign-in, the employee's home and usage, the manager's invoices and
spending, against a fresh demo server; prints a table of scores and the layout shift.

ONLY=/,/home runs some of the pages; KEEP=dir keeps each page's JSON report.
Signed-in pages run in a Chromium that holds the session cookie of a sign-in made here, as a
real browser does (Lighthouse's extraHeaders would not reach the page's live EventSource).
Scores vary with the machine's load: run it on a quiet machine, and quote `uptime` beside them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
PORT = int(os.environ.get("AUDIT_PORT", "8160"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "Prova-Linedesk-42!"  # the demo's (README)
EMPLOYEE, MANAGER = "+393886599378", "admin.bellini"
PAGES = [
    ("landing", "/", None),
    ("sign-in", "/login", None),
    ("employee home", "/home", EMPLOYEE),
    ("usage", "/usage", EMPLOYEE),
    ("invoices", "/invoices", MANAGER),
    ("spending", "/spending", MANAGER),
]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
TARGET, CLS_TARGET = 95, 0.05


def wait_until_up(server: subprocess.Popen[bytes]) -> None:
    for _ in range(240):
        if server.poll() is not None:
            sys.exit("the demo server stopped: see its output above")
        try:
            if httpx.get(BASE + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit("the demo server did not answer in 2 minutes")


def session_cookie(username: str) -> dict[str, str]:
    with httpx.Client(base_url=BASE, headers={"Accept": "text/html"}) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        # The cookies are __Host- (Secure): sent back here by hand, as over HTTPS.
        cookies = {k: v for k, v in page.cookies.items()}
        answer = client.post(
            "/login",
            data={"csrf_token": token[1], "username": username, "password": PASSWORD},
            cookies=cookies,
        )
        assert answer.status_code == 303, f"sign-in of {username}: {answer.status_code}"
        found = [
            c for c in answer.headers.get_list("set-cookie") if c.startswith("__Host-linedesk=")
        ]
        assert found, f"no session cookie for {username}"
        name, value = found[0].split(";")[0].split("=", 1)
        return {"name": name, "value": value}


def lighthouse(url: str, cookie: dict[str, str] | None, out: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={out}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--quiet",
    ]
    env = os.environ | {"CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    if not cookie:
        subprocess.run([*command, f"--chrome-flags={CHROME_FLAGS}"], check=True, env=env)
        return json.loads(out.read_text())
    # A browser with the cookie in its jar; Lighthouse drives it over the debugging port and
    # keeps its storage (the cookie) instead of clearing it.
    port = 9300 + PORT % 100
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=env["CHROME_PATH"],
            headless=True,
            args=[*CHROME_FLAGS.split()[1:], f"--remote-debugging-port={port}"],
        )
        # __Host- cookies are Secure; Chromium sends them to 127.0.0.1 over plain HTTP too.
        secure_base = BASE.replace("http://", "https://")
        browser.add_cookies([{**cookie, "url": secure_base, "secure": True}])  # type: ignore[list-item]
        try:
            subprocess.run(
                [*command, f"--port={port}", "--disable-storage-reset"], check=True, env=env
            )
        finally:
            browser.close()
    return json.loads(out.read_text())


def main() -> int:
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse is missing: cd tools/audit && npm ci")
    data = Path(tempfile.mkdtemp(prefix="linedesk-audit-"))
    env = os.environ | {"LINEDESK_DATA_DIR": str(data), "LINEDESK_DEMO_LIVE_USAGE": "false"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "linedesk"), "serve", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data / "server.log").open("wb"),
    )
    rows = []
    failed = False
    try:
        wait_until_up(server)
        cookies = {user: session_cookie(user) for user in (EMPLOYEE, MANAGER)}
        only = [p for p in os.environ.get("ONLY", "").split(",") if p]
        for name, path, user in PAGES:
            if only and path not in only:
                continue
            report = lighthouse(BASE + path, cookies.get(user) if user else None, data / "lh.json")
            if report.get("finalDisplayedUrl", "").rstrip("/") != (BASE + path).rstrip("/"):
                print(f"  {name}: ended on {report.get('finalDisplayedUrl')}", file=sys.stderr)
            scores = [round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES]
            cls = report["audits"]["cumulative-layout-shift"]["numericValue"]
            failing = [
                audit["id"]
                for audit in report["audits"].values()
                if audit.get("score") is not None
                and audit["score"] < 0.9
                and audit.get("scoreDisplayMode") in ("binary", "metricSavings", "numeric")
            ]
            failed |= min(scores) < TARGET or cls >= CLS_TARGET
            rows.append((name, path, *scores, cls, ", ".join(failing[:6])))
            if os.environ.get("KEEP"):  # KEEP=dir: the JSON reports, to read the details
                keep = Path(os.environ["KEEP"])
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copy(data / "lh.json", keep / f"{path.strip('/') or 'landing'}.json")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    head = ("page", "path", "perf", "a11y", "best", "seo", "CLS")
    print("{:15} {:10} {:>5} {:>5} {:>5} {:>5} {:>6}  below 0.9".format(*head))
    for name, path, perf, a11y, best, seo, cls, failing in rows:
        print(f"{name:15} {path:10} {perf:5} {a11y:5} {best:5} {seo:5} {cls:6.3f}  {failing}")
    print(f"load average: {os.getloadavg()[0]:.2f} (scores fall on a busy machine)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
