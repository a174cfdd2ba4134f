"""Prepared downloads over HTTP: streamed from disk to the person they were made for, in the
browser they were made in, while that person may still open the page — never to anyone else."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console.auth import LOCAL_ADMIN, LOGIN_THROTTLE, Role
from console.ledger import Ledger
from console.sessions import SESSION_COOKIE, Authority, Directory
from console.users import add_user
from console.web import Downloads, download_routes

PASSWORD = "correct horse battery"
CSV = "text/csv; charset=utf-8"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def desk():
    clock = Clock()
    downloads = Downloads(ttl=60, max_files=3, clock=clock)
    downloads.clock_ = clock
    yield downloads
    downloads.clear()


def offered(desk: Downloads, actor, body: bytes = b"bill,amount\r\nB1,12.50\r\n", name="p.csv"):
    prepared = desk.prepare(name, actor, page="payments", media_type=CSV)
    prepared.path.write_bytes(body)
    desk.offer(prepared)
    return prepared


@pytest.fixture
def team(tmp_path):
    """A console with users: ann (support) signed in; her session cookie."""
    LOGIN_THROTTLE.reset()
    secrets = tmp_path / "secrets.toml"
    add_user("ann", Role.SUPPORT, PASSWORD, secrets)
    with Ledger(tmp_path / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(secrets))
        signed_in = authority.sign_in_password("ann", PASSWORD, origin="test")
        assert signed_in is not None
        yield authority, signed_in
    LOGIN_THROTTLE.reset()


def client(authority, desk, **options) -> TestClient:
    return TestClient(Starlette(routes=download_routes(authority, desk)), **options)


def test_the_person_it_was_made_for_gets_the_file_streamed_with_its_name(team, desk):
    authority, ann = team
    body = b"bill,amount\r\n" + b"B1,12.50\r\n" * 50_000  # more than one 64 KiB piece
    prepared = offered(
        desk, ann.actor, body, name="payments-2026-11-01_2026-11-30-Europe_Minsk.csv"
    )
    http = client(authority, desk, cookies={SESSION_COOKIE: ann.token})
    answer = http.get(prepared.url)
    assert answer.status_code == 200
    assert answer.content == body
    assert answer.headers["content-type"] == CSV
    assert answer.headers["content-disposition"] == (
        'attachment; filename="payments-2026-11-01_2026-11-30-Europe_Minsk.csv"'
    )
    assert answer.headers["cache-control"] == "no-store"


def test_another_browser_without_her_cookie_is_refused(team, desk):
    authority, ann = team
    prepared = offered(desk, ann.actor)
    assert client(authority, desk).get(prepared.url).status_code == 403
    other = authority.sign_in_password("ann", PASSWORD, origin="test")  # her other browser
    http = client(authority, desk, cookies={SESSION_COOKIE: other.token})
    answer = http.get(prepared.url)
    assert answer.status_code == 403 and "another browser" in answer.text


def test_a_logged_out_or_changed_person_gets_nothing(team, desk, tmp_path):
    authority, ann = team
    prepared = offered(desk, ann.actor)
    authority.sign_out(ann.actor)
    http = client(authority, desk, cookies={SESSION_COOKIE: ann.token})
    answer = http.get(prepared.url)
    assert answer.status_code == 403 and "logged out" in answer.text


def test_an_unknown_or_expired_ticket_is_gone_and_its_file_deleted(team, desk):
    authority, ann = team
    prepared = offered(desk, ann.actor)
    http = client(authority, desk, cookies={SESSION_COOKIE: ann.token})
    assert http.get("/download/not-a-ticket").status_code == 404
    desk.clock_.now += 61
    answer = http.get(prepared.url)
    assert answer.status_code == 404 and "prepare the export again" in answer.text
    assert not prepared.path.exists()


def test_at_most_so_many_files_wait_the_oldest_go_first(team, desk):
    _, ann = team
    files = [offered(desk, ann.actor) for _ in range(4)]
    assert desk.get(files[0].ticket) is None and not files[0].path.exists()
    assert all(desk.get(f.ticket) is not None for f in files[1:])


def test_a_file_not_offered_cannot_be_fetched_and_a_discarded_one_is_deleted(team, desk):
    authority, ann = team
    prepared = desk.prepare("p.csv", ann.actor, page="payments", media_type=CSV)
    assert prepared.path.stat().st_mode & 0o777 == 0o600
    http = client(authority, desk, cookies={SESSION_COOKIE: ann.token})
    assert http.get(prepared.url).status_code == 404
    desk.discard(prepared)
    assert not prepared.path.exists()


def test_local_mode_serves_this_computer_only(tmp_path, desk):
    with Ledger(tmp_path / "ledger.db") as ledger:
        authority = Authority(ledger, Directory(tmp_path / "no-secrets.toml"))
        prepared = offered(desk, LOCAL_ADMIN)
        near = client(authority, desk, client=("127.0.0.1", 50000))
        assert near.get(prepared.url).status_code == 200
        far = client(authority, desk, client=("192.0.2.7", 50000))
        assert far.get(prepared.url).status_code == 403


def test_tickets_are_long_random_and_name_no_path(team, desk):
    _, ann = team
    first, second = offered(desk, ann.actor), offered(desk, ann.actor)
    assert first.ticket != second.ticket and len(first.ticket) >= 43
    assert (
        str(first.path.name) not in first.url and first.path.parent.stat().st_mode & 0o777 == 0o700
    )
