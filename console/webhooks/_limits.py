"""How long and how much the receiver waits for a client, and how many it serves at once.

What uvicorn offers and is used as is (:meth:`ReceiverLimits.uvicorn_options`):

* ``timeout_keep_alive`` — an idle keep-alive connection is closed after it;
* ``limit_concurrency`` — beyond that many open connections a request is answered 503;
* ``h11_max_incomplete_event_size`` (h11) — at most that much of an unfinished
  request line and headers is buffered; a head still growing past it is answered
  400 (a complete head that arrives at once is parsed whatever its size: h11
  bounds the buffer, not the head). httptools has no such bound, so
  :class:`DeadlineHttpToolsProtocol` keeps it: a head still unfinished after that
  many bytes is answered 400 (bytes are counted per read, so a read in which a
  head ends or begins does not count: the bound holds within one read).

The HTTP parser is httptools (llhttp, in C): it costs a request about half the CPU
of h11 (pure Python), as ``bench/webhooks.py`` measures. h11 can still be chosen
(``ReceiverLimits(parser="h11")``), with the same limits.

What it does not offer: uvicorn (through 0.55, h11 and httptools alike) bounds no
time for *receiving* a request. Its keep-alive timer runs only between requests
and is cancelled by every byte that arrives, so a client that connects and sends
half a request head — or a byte a second — holds a socket for ever (the
``--timeout-request-start`` proposal, Kludex/uvicorn#1685, was closed unmerged).
An ASGI middleware cannot help with the head: the app is only called once the
head is complete. So :class:`DeadlineHttpToolsProtocol` and
:class:`DeadlineH11Protocol`, uvicorn's two HTTP/1.1 protocols with two
deadlines, close the connection when

* the request head (request line and headers) is not complete within
  ``head_timeout`` seconds of the connection opening or of the previous response;
* the body is not complete within ``body_timeout`` seconds of the head.

Deadlines, not idle timeouts: trickled bytes do not extend them. Nothing bounds
the time the receiver itself takes once the request is in (a ledger write, a
billStatus call), nor the response. A body cut off this way reaches the app as a
disconnect, which it records as a rejected attempt ("cut off").

The body's size is limited by the app (``MAX_BODY_BYTES``, 413 before the body is
read when ``Content-Length`` says too much, after the limit when it is chunked).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("console.webhooks")

Phase = Literal["head", "body"]

#: h11 states in which the client is still sending a request: its head, then its body.
_H11_PHASES: dict[object, Phase] = {h11.IDLE: "head", h11.SEND_BODY: "body"}


@dataclass(frozen=True)
class ReceiverLimits:
    """The receiver's connection limits (seconds, counts, bytes); see the module docstring."""

    #: Seconds for the request line and headers, from connection (or previous response).
    head_timeout: float = 10.0
    #: Seconds for the whole body, from the end of the head.
    body_timeout: float = 30.0
    #: Seconds an idle keep-alive connection stays open (uvicorn's ``timeout_keep_alive``).
    keep_alive: int = 5
    #: A request that finds this many connections open (its own included) is answered 503.
    max_connections: int = 100
    #: Bytes of an unfinished request head buffered at most; more is answered 400.
    max_head_bytes: int = 16 * 1024
    #: The HTTP/1.1 parser: ``httptools`` (C) or ``h11`` (pure Python).
    parser: Literal["httptools", "h11"] = "httptools"

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.Config`` / ``uvicorn.run`` that apply these limits."""
        base: type[_Deadlines]
        if self.parser == "httptools":
            base = DeadlineHttpToolsProtocol
        elif self.parser == "h11":
            base = DeadlineH11Protocol
        else:
            raise ValueError(f"parser must be 'httptools' or 'h11', not {self.parser!r}")
        protocol = type(
            f"Receiver{base.__name__}",
            (base,),
            {
                "head_timeout": self.head_timeout,
                "body_timeout": self.body_timeout,
                "max_head_bytes": self.max_head_bytes,
            },
        )
        return {
            "http": protocol,
            "timeout_keep_alive": self.keep_alive,
            "limit_concurrency": self.max_connections,
            "h11_max_incomplete_event_size": self.max_head_bytes,
        }


class _Deadlines:
    """The two deadlines, for a uvicorn protocol that says which part is arriving."""

    head_timeout: float = ReceiverLimits.head_timeout
    body_timeout: float = ReceiverLimits.body_timeout
    max_head_bytes: int = ReceiverLimits.max_head_bytes

    _phase: Phase | None = None
    _deadline: asyncio.TimerHandle | None = None

    # provided by uvicorn's protocol classes
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    client: tuple[str, int] | None

    def _arriving(self) -> Phase | None:
        """The part of a request the client is sending now, or None."""
        raise NotImplementedError

    def _follow_request(self) -> None:
        """Arm the deadline of the part of the request the client is sending now."""
        closing = self.transport is None or self.transport.is_closing()
        self._set_phase(None if closing else self._arriving())

    def _set_phase(self, phase: Phase | None) -> None:
        if phase == self._phase:
            return  # a deadline is never moved by more bytes of the same part
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase is not None:
            seconds = self.head_timeout if phase == "head" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _expired(self, phase: Phase, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        peer = self.client[0] if self.client else "unknown"
        log.warning(
            "closed a connection from %s: the request %s did not arrive within %g s",
            peer,
            phase,
            seconds,
        )
        self.transport.close()


class DeadlineH11Protocol(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request head and one for its body."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._follow_request()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()  # the next request's head, or the rest of an unread body

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_phase(None)
        super().connection_lost(exc)

    def _arriving(self) -> Phase | None:
        return _H11_PHASES.get(self.conn.their_state)


class DeadlineHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
    """uvicorn's httptools protocol with the two deadlines and a bound on the head's size.

    httptools reports a request in callbacks (message begin, headers complete,
    message complete) rather than as a state, so the part arriving is kept here.
    """

    _arriving_part: Phase | None = "head"
    _heads_completed = 0
    _head_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._follow_request()

    def data_received(self, data: bytes) -> None:
        head_before = self._arriving_part == "head"
        heads_before = self._heads_completed
        super().data_received(data)
        if self._heads_completed != heads_before or self._arriving_part != "head":
            self._head_bytes = 0  # a head ended in this read, or none is arriving
        elif head_before:
            self._head_bytes += len(data)  # all of this read is the unfinished head
            if self._head_bytes > self.max_head_bytes:
                self._refuse_head()
        self._follow_request()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arriving_part = "head"

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._heads_completed += 1
        self._arriving_part = "body"

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._arriving_part = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._arriving_part is None and not self.pipeline:
            self._arriving_part = "head"  # the next request's, from now
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._set_phase(None)
        super().connection_lost(exc)

    def _arriving(self) -> Phase | None:
        return self._arriving_part

    def _refuse_head(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.send_400_response("Request head too large.")  # answers and closes
        else:  # a response is being written: a 400 cannot go in the middle of it
            self.transport.close()
