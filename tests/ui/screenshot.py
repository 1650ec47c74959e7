"""The README's picture of the report: the first screen of the report ``make report`` built
(``reports/latest/index.html``), at 1280 x 800 in Debian's chromium, saved as docs/report.png.

The browser test's own screenshot (``reports/ui/report.png``) is of a report built with fewer
simulation replicates, so its Monte Carlo numbers differ from the published report's; the
picture a reader of the README sees is of the real one. Run: ``make screenshots``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def main(report: Path = PROJECT / "reports" / "latest" / "index.html",
         out: Path = PROJECT / "docs" / "report.png") -> int:
    from playwright.sync_api import sync_playwright

    if not report.is_file():
        print(f"screenshot: {report} does not exist; run make report first", file=sys.stderr)
        return 2
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
