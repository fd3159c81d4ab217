"""Take docs/console.png: serve examples/console_demo.py (traced by the plugin
on an SDK tracer provider, so jobs carry trace context) under uvicorn, let its
workers run a few seconds, and screenshot /jobs/ui in Debian's headless chromium.

    .venv/bin/python scripts/console_screenshot.py [OUTPUT.png]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.uno_jobs import UnoJobsInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from tests.admin.browser import chromium, serve  # noqa: E402


def main(output: Path) -> None:
    trace.set_tracer_provider(TracerProvider())
    UnoJobsInstrumentor().instrument()
    from examples.console_demo import app

    with serve(app) as base_url, chromium() as browser:
        time.sleep(4)  # let the workers run the burst
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base_url}/jobs/ui?refresh=0")
        page.screenshot(path=str(output), full_page=True)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "console.png")
