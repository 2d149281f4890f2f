"""Screenshots of the main pages of a running mltrl (the demo), with Debian's chromium.

    python scripts/screenshots.py --base http://127.0.0.1:8000 --out docs/screenshots

Signs in as a demo reviewer with a request waiting and saves the home, project
and review pages at laptop width, then as the demo's manager the portfolio
(the README shows them). Never
downloads a browser: it drives the ``chromium`` found on PATH.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "mltrl-demo"  # noqa: S105  (the published demo password)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/home/$"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--reviewer", default="ethan")
    parser.add_argument("--manager", default="morgan")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium).")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, args.base, args.reviewer)
        page.screenshot(path=out / "home.png", full_page=True)
        link = page.locator("a.button", has_text="Review").first
        review_url = link.get_attribute("href") if link.count() else None
        if review_url:
            page.goto(f"{args.base}{review_url}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / "review.png", full_page=True)
            project_href = page.locator(".breadcrumbs a").nth(1).get_attribute("href")
            page.goto(f"{args.base}{project_href}")
            page.wait_for_selector("#requests")
            page.locator("#repository").wait_for()
            # the top of the page (ladder, requests, repository); the history runs long
            page.set_viewport_size({"width": 1280, "height": 1300})
            page.screenshot(path=out / "project.png")
        # the portfolio, as the demo's manager sees it (a fresh session)
        manager = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
        sign_in(manager, args.base, args.manager)
        manager.goto(f"{args.base}/portfolio/")
        manager.locator("#table-trend").wait_for()
        manager.screenshot(path=out / "portfolio.png", full_page=True)
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
