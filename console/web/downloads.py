"""Prepared files handed to the browser from disk, a piece at a time: ``GET /download/<ticket>``.

Why not ``st.download_button``: Streamlit 1.67 accepts a file object or a callable
as its ``data``, but reads either into one ``bytes`` value and keeps it in its
in-memory media store (``convert_data_to_bytes_and_infer_mime``,
``MemoryMediaFileStorage``) — a million-row CSV would sit in the server's memory once
per download. Here the page writes the file to a private temporary folder and this
route streams it from there (Starlette's ``FileResponse``, 64 KiB at a time).

Who may fetch a file (decided on every request, before a byte is read):

* the **ticket** is 256 random bits (``secrets.token_urlsafe``), made for one person
  and one file, valid for :data:`TICKET_SECONDS` — the file is deleted then;
* in **local mode** the browser must be on this computer (as for every page);
* with **users**, the person the file was made for must still be signed in with the
  same role (:meth:`console.sessions.Authority.current`: not logged out, not idle,
  not changed by an admin) and still allowed to open the page that made it; a
  password session must also be the browser's own (its session cookie), so a copied
  link is no use in another browser.

Files are never listed, and a ticket names no file path: the path is kept here.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from console.auth import Actor, PermissionDenied, allowed_pages
from console.sessions import SESSION_COOKIE, Authority, SessionEnded, session_id
from console.web.gate import is_loopback

DOWNLOAD_PATH = "/download"
#: How long a prepared file can be fetched, in seconds.
TICKET_SECONDS = 15 * 60
#: At most this many files wait at once; the oldest is deleted first.
MAX_FILES = 50
GONE = "This download is no longer here: prepare the export again on its page."


@dataclass(frozen=True)
class Prepared:
    """A file being written for one person; :meth:`Downloads.offer` makes it fetchable."""

    ticket: str
    path: Path
    file_name: str
    media_type: str
    actor: Actor
    page: str  # the page key whose role check the download repeats
    made_at: float

    @property
    def url(self) -> str:
        return f"{DOWNLOAD_PATH}/{self.ticket}"


class Downloads:
    """The files waiting to be fetched, in a private folder of this process."""

    def __init__(
        self,
        *,
        ttl: float = TICKET_SECONDS,
        max_files: int = MAX_FILES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_files = max_files
        self.clock = clock
        self._lock = threading.Lock()
        self._ready: dict[str, Prepared] = {}
        self._folder: Path | None = None
        self._numbers = itertools.count()

    def prepare(self, file_name: str, actor: Actor, *, page: str, media_type: str) -> Prepared:
        """A new, empty file (mode 0600) to write; not fetchable until offered."""
        with self._lock:
            folder = self._private_folder()
            path = folder / f"{next(self._numbers)}.part"
        path.touch(mode=0o600)
        return Prepared(
            ticket=secrets.token_urlsafe(32),
            path=path,
            file_name=file_name,
            media_type=media_type,
            actor=actor,
            page=page,
            made_at=self.clock(),
        )

    def offer(self, prepared: Prepared) -> None:
        """Make a written file fetchable at ``prepared.url`` for :data:`TICKET_SECONDS`."""
        with self._lock:
            self._sweep()
            self._ready[prepared.ticket] = prepared
            while len(self._ready) > self.max_files:
                self._forget(next(iter(self._ready)))

    def discard(self, prepared: Prepared) -> None:
        """Delete a file that will not be offered (its writing failed)."""
        with self._lock:
            self._ready.pop(prepared.ticket, None)
        prepared.path.unlink(missing_ok=True)

    def get(self, ticket: str) -> Prepared | None:
        """The file offered under ``ticket``, while it is still valid."""
        with self._lock:
            self._sweep()
            return self._ready.get(ticket)

    def clear(self) -> None:
        """Delete every file (tests; the process's exit does it too)."""
        with self._lock:
            for ticket in list(self._ready):
                self._forget(ticket)
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _private_folder(self) -> Path:
        if self._folder is None or not self._folder.is_dir():
            self._folder = Path(tempfile.mkdtemp(prefix="merchant-console-downloads-"))
            os.chmod(self._folder, 0o700)
        return self._folder

    def _sweep(self) -> None:
        now = self.clock()
        for ticket, prepared in list(self._ready.items()):
            if now - prepared.made_at > self.ttl:
                self._forget(ticket)

    def _forget(self, ticket: str) -> None:
        prepared = self._ready.pop(ticket, None)
        if prepared is not None:
            prepared.path.unlink(missing_ok=True)


#: The files of this process: the pages prepare them, the route serves them.
DOWNLOADS = Downloads()


def download_routes(authority: Authority, downloads: Downloads = DOWNLOADS) -> list[Route]:
    """``GET /download/{ticket}`` over ``authority`` (who is signed in now)."""

    async def fetch(request: Request) -> Response:
        prepared = downloads.get(request.path_params["ticket"])
        if prepared is None:
            return PlainTextResponse(GONE, status_code=404)
        refusal = await run_in_threadpool(_refusal, authority, request, prepared)
        if refusal is not None:
            return PlainTextResponse(refusal, status_code=403)
        return FileResponse(
            prepared.path,
            media_type=prepared.media_type,
            filename=prepared.file_name,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return [Route(f"{DOWNLOAD_PATH}/{{ticket}}", fetch, methods=["GET"])]


def _refusal(authority: Authority, request: Request, prepared: Prepared) -> str | None:
    """Why this request may not have the file (see the module docstring), or None."""
    settings = authority.settings()
    if settings.is_local:
        client = request.client.host if request.client else None
        return None if is_loopback(client) else "This console serves this computer only."
    try:
        person = authority.current(prepared.actor)
    except (SessionEnded, PermissionDenied) as exc:
        return f"{exc.message} Then prepare the export again."
    if prepared.page not in allowed_pages(person):
        return f"{person.name} ({person.role}) may no longer open this page."
    cookie = request.cookies.get(SESSION_COOKIE)
    row = authority.ledger.sessions.get(person.session) if person.session else None
    own_browser = bool(cookie) and session_id(cookie or "") == person.session
    if row is not None and row.method == "password" and not own_browser:
        return (
            "This download was prepared in another browser's session: sign in here "
            "and prepare it again."
        )
    return None
