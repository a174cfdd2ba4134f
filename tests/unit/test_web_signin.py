"""The sign-in page and the page gate, over HTTP (Starlette's test client, no browser)."""

import re
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from console.auth import LOGIN_THROTTLE, Role
from console.ledger import Ledger
from console.sessions import SESSION_COOKIE, Authority, Directory
from console.users import add_user
from console.web import SessionGate, safe_next, signin_routes

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}
SAME_ORIGIN = {"Origin": "http://testserver"}


def page(request):
    return HTMLResponse("<p>the console</p>")


def console_app(authority: Authority) -> Starlette:
    """The sign-in routes and the gate in front of a stand-in for Streamlit's pages."""
    return Starlette(
        routes=[*signin_routes(authority), Route("/{path:path}", page)],
        middleware=[Middleware(SessionGate, authority=authority)],
    )


@pytest.fixture
def home(tmp_path):
    LOGIN_THROTTLE.reset()
    yield tmp_path
    LOGIN_THROTTLE.reset()


@pytest.fixture
def client(home):
    add_user("ann", Role.OPERATOR, PASSWORD, home / "secrets.toml")
    with Ledger(home / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(home / "secrets.toml"))
        with TestClient(console_app(authority), follow_redirects=False) as http:
            http.ledger = ledger
            yield http


def form_of(response) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf|next)" value="([^"]*)"', response.text))


def log_in(http, password=PASSWORD, next_path="/lookup?q=B12", headers=SAME_ORIGIN):
    shown = http.get(f"/session/login?next={quote(next_path, safe='')}")
    fields = form_of(shown)
    return http.post(
        "/session/login", data={**fields, "name": "ann", "password": password}, headers=headers
    )


def test_a_deep_link_without_a_session_goes_to_sign_in_with_its_query(client):
    answer = client.get("/lookup?q=B12", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/session/login?next=%2Flookup%3Fq%3DB12"


def test_streamlit_traffic_is_not_redirected(client):
    for path in ("/_stcore/health", "/static/js/index.js", "/_stcore/stream"):
        assert client.get(path, headers=HTML).status_code == 200


def test_the_right_password_sets_an_httponly_cookie_and_returns_to_the_page(client):
    answer = log_in(client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/lookup?q=B12"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert token not in answer.headers["location"]  # never in a URL
    assert client.get("/lookup?q=B12", headers=HTML).status_code == 200  # signed in
    assert client.get("/session/login?next=/monitor").headers["location"] == "/monitor"


def test_a_wrong_password_is_refused_and_audited_without_the_password(client):
    answer = log_in(client, password="not the password")
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert 'value="ann"' in answer.text  # the name stays typed
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    entry = client.ledger.recent_audit(1)[0]
    assert (entry.actor, entry.action) == ("ann", "login_failed")
    assert "not the password" not in str(entry.detail)


def test_five_failures_lock_the_name_and_the_page_says_for_how_long(client):
    for _ in range(5):
        log_in(client, password="not the password")
    answer = log_in(client)
    assert answer.status_code == 401
    assert "Too many failed attempts for this name. Try again in 5 min." in answer.text


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Origin": "null"}], ids=["other", "null"]
)
def test_a_post_from_another_site_is_refused(client, headers):
    answer = log_in(client, headers=headers)
    assert answer.status_code == 403
    assert client.ledger.sessions.open() == []


def test_a_post_without_the_forms_token_is_refused(client):
    client.get("/session/login")
    answer = client.post(
        "/session/login",
        data={"csrf": "forged", "name": "ann", "password": PASSWORD},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 403 and client.ledger.sessions.open() == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/lookup?q=B12", "/lookup?q=B12"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/monitor\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
def test_next_is_only_ever_a_path_on_this_server(given, kept):
    assert safe_next(given) == kept


def test_the_page_escapes_what_it_echoes(client):
    answer = client.get('/session/login?next=/x"><script>alert(1)</script>')
    assert "<script>alert" not in answer.text
    assert "script-src" not in answer.headers["content-security-policy"]  # no script at all


def test_local_mode_serves_loopback_browsers_only(home):
    with Ledger(home / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(home / "secrets.toml"))  # no users
        app = console_app(authority)
        with TestClient(app, client=("192.168.1.20", 5000)) as remote:
            answer = remote.get("/", headers=HTML)
            assert answer.status_code == 403 and "local mode" in answer.text
        with TestClient(app, client=("127.0.0.1", 5000)) as local:
            assert local.get("/", headers=HTML).status_code == 200
