"""Stalled, slow and oversized clients cannot hold the receiver's sockets (issue 10, §8).

Raw sockets over loopback against the receiver served as ``merchant-console webhooks``
serves it (uvicorn with :meth:`ReceiverLimits.uvicorn_options`), with limits made small
so the tests finish fast. Every wait is bounded generously and ends on the server's own
action (closing, answering); nothing here measures speed.
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import socket
import time
from contextlib import closing, contextmanager
from urllib.parse import urlsplit

import pytest

from console.ledger import Ledger
from console.webhooks import MAX_BODY_BYTES, ReceiverLimits, create_app
from tests.contract.bepaid_support import SHOP
from tests.contract.webhooks_support import sandbox_settings, wait_for
from tests.support.servers import serve

SMALL = ReceiverLimits(
    head_timeout=0.5, body_timeout=0.5, keep_alive=1, max_connections=50, max_head_bytes=4096
)
BOUND = 15.0  # seconds: far beyond every limit above; reaching it means "never closed"


def basic_auth() -> str:
    return "Basic " + base64.b64encode(":".join(SHOP).encode()).decode()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    with Ledger(tmp_path_factory.mktemp("limits") / "ledger.db") as ledger:
        yield ledger


@contextmanager
def receiver(module_sandbox, ledger, tmp_path, limits: ReceiverLimits):
    settings = sandbox_settings(module_sandbox[0], tmp_path)
    app = create_app(settings, ledger, key_wait=10)
    with serve(app, **limits.uvicorn_options()) as url:
        parts = urlsplit(url)
        yield parts.hostname, parts.port


@pytest.fixture(scope="module", params=["httptools", "h11"])
def address(request, module_sandbox, ledger, tmp_path_factory):
    """(host, port) of a receiver with :data:`SMALL` limits, on each of uvicorn's parsers."""
    limits = dataclasses.replace(SMALL, parser=request.param)
    with receiver(module_sandbox, ledger, tmp_path_factory.mktemp("settings"), limits) as where:
        yield where


def connect(address) -> socket.socket:
    return socket.create_connection(address, timeout=BOUND)


def until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (at most BOUND seconds)."""
    deadline = time.monotonic() + BOUND
    received = b""
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except TimeoutError:
            raise AssertionError(f"the receiver kept the connection open for {BOUND} s") from None
        if not chunk:
            return received
        received += chunk


def trickle_until_closed(sock: socket.socket, data: bytes) -> int:
    """Send ``data`` a byte at a time, each after waiting briefly for the server to close;
    return how many bytes went out before it did (fails after BOUND seconds)."""
    deadline = time.monotonic() + BOUND
    sock.settimeout(0.05)
    for sent, byte in enumerate(data):
        if time.monotonic() > deadline:
            break
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(65536) == b"":
                return sent
        except TimeoutError:
            continue  # still open: send the next byte
        except OSError:  # reset or broken pipe: closed
            return sent
    raise AssertionError("the receiver kept reading a trickled request")


def head(path: str = "/notifications/bepaid", **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_connection_that_never_sends_a_request_is_closed(address):
    with closing(connect(address)) as sock:
        assert until_closed(sock) == b""


def test_half_a_request_head_then_silence_is_cut_off(address):
    with closing(connect(address)) as sock:
        sock.sendall(b"POST /notifications/bepaid HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert until_closed(sock) == b""


def test_a_head_trickled_a_byte_at_a_time_does_not_extend_its_deadline(address):
    endless = b"POST /notifications/bepaid HTTP/1.1\r\nX-Slow: " + b"a" * 3000
    with closing(connect(address)) as sock:
        sent = trickle_until_closed(sock, endless)
    assert sent < len(endless)


def test_half_a_body_then_silence_is_cut_off_and_recorded(address, ledger):
    declared = 400
    with closing(connect(address)) as sock:
        sock.sendall(head(Authorization=basic_auth(), **{"Content-Length": str(declared)}))
        sock.sendall(b'{"transaction": {')  # and nothing more
        assert until_closed(sock) == b""  # no answer: the client is gone

    recorded = wait_for(
        lambda: next(
            (n for n in ledger.recent_notifications(5) if "cut off" in (n.detail or "")), None
        ),
        "the cut-off request to be recorded as rejected",
    )
    assert recorded.verdict == "rejected"


def test_a_body_trickled_a_byte_at_a_time_does_not_extend_its_deadline(address):
    declared = 5000
    with closing(connect(address)) as sock:
        sock.sendall(head(Authorization=basic_auth(), **{"Content-Length": str(declared)}))
        sent = trickle_until_closed(sock, b"x" * declared)
    assert sent < declared


def test_an_oversized_content_length_is_refused_with_413_without_waiting_for_the_body(address):
    declared = MAX_BODY_BYTES + 1
    with closing(connect(address)) as sock:
        sock.sendall(head(Authorization=basic_auth(), **{"Content-Length": str(declared)}))
        answer = until_closed(sock)  # the body never comes; the answer and the close do
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"connection: close" in rest.lower()


def test_a_head_growing_past_the_limit_is_refused_with_400_before_it_ends(address):
    with closing(connect(address)) as sock:  # no blank line: the head never ends
        sock.sendall(b"POST /notifications/bepaid HTTP/1.1\r\nX-Padding: ")
        sock.sendall(b"p" * (2 * SMALL.max_head_bytes))
        answer = until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_a_large_body_arriving_with_its_head_is_not_taken_for_a_large_head(address):
    body = b'{"pad": "' + b"p" * (MAX_BODY_BYTES - 100) + b'"}'
    request = head(Authorization=basic_auth(), **{"Content-Length": str(len(body))}) + body
    with closing(connect(address)) as sock:
        sock.sendall(request)  # one write: head and body reach the server in the same reads
        answer = until_closed(sock)  # refused for its (missing) signature, then closed
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_a_request_and_the_start_of_the_next_in_one_read_are_not_one_long_head(address):
    body = b"x" * (2 * SMALL.max_head_bytes)
    first = head("/health", **{"Content-Length": str(len(body))}) + body  # 405: GET only
    with closing(connect(address)) as sock:
        sock.sendall(first + b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = until_closed(sock)  # the first is answered; the second's head never ends
    assert answer.startswith(b"HTTP/1.1 405 ")
    assert b" 400 " not in answer


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(address):
    with closing(connect(address)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_connections_beyond_the_limit_are_answered_503(module_sandbox, ledger, tmp_path):
    limits = ReceiverLimits(head_timeout=BOUND, keep_alive=int(BOUND), max_connections=3)
    with receiver(module_sandbox, ledger, tmp_path, limits) as (host, port):
        held = [http.client.HTTPConnection(host, port, timeout=BOUND) for _ in range(3)]
        try:
            statuses = []
            for connection in held:  # each stays open (keep-alive) after its answer
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                statuses.append(response.status)
            # uvicorn counts the asking connection too: the third one is over the limit
            assert statuses == [200, 200, 503]
            held[0].close()
            held[2].close()
            after = http.client.HTTPConnection(host, port, timeout=BOUND)
            held.append(after)
            wait_for(lambda: _health(after) == 200, "a free connection slot")
        finally:
            for connection in held:
                connection.close()


def _health(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/health")
    response = connection.getresponse()
    response.read()
    return response.status
