"""The browser fixture drives Debian chromium against a page served over loopback."""

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.servers import serve


def test_chromium_renders_a_loopback_page(page):
    async def hello(request):
        return HTMLResponse("<button onclick=\"this.textContent='clicked'\">press</button>")

    with serve(Starlette(routes=[Route("/", hello)])) as url:
        page.goto(url)
        page.get_by_role("button", name="press").click()
        assert page.get_by_role("button").text_content() == "clicked"
