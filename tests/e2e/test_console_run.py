"""The README's first command starts sandbox, receiver and console; the browser sees it."""

import httpx


def test_run_serves_the_console_with_a_sandbox_badge(console_app, page):
    health = httpx.get(f"{console_app.sandbox_url}/__sandbox/health", timeout=5)
    assert health.status_code == 200
    receiver = console_app.env["MERCHANT_CONSOLE_WEBHOOKS_PORT"]
    assert httpx.get(f"http://127.0.0.1:{receiver}/health", timeout=5).status_code == 200
    page.goto(console_app.url)
    page.get_by_text("SANDBOX").first.wait_for()
    assert "Merchant Console" in page.title()
