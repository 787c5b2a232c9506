"""Debian's Chromium for Playwright (Playwright's own browser download cannot work on these machines)."""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Give page.wait_for_function a function ("() => ..."), never a bare expression: Playwright evaluates an
# expression with eval, which the site's Content-Security-Policy (script-src 'self') refuses.
