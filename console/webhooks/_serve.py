"""Running the receiver as its own program (``merchant-console webhooks``)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import uvicorn
import uvicorn.config

from console.config import Secret, Settings, load_settings
from console.ledger import Ledger
from console.webhooks._app import create_app
from console.webhooks._keys import (
    DEFAULT_KEY_WAIT,
    configured_public_key,
    fetch_sandbox_public_key,
)
from console.webhooks._limits import ReceiverLimits

DEFAULT_HOST = "127.0.0.1"


def serve(
    port: int | None = None,
    ledger_path: Path | None = None,
    settings: Settings | None = None,
    *,
    host: str = DEFAULT_HOST,
    key_wait: float = DEFAULT_KEY_WAIT,
    limits: ReceiverLimits | None = None,
) -> None:
    """Serve the notification receiver with uvicorn until interrupted.

    ``port`` defaults to ``settings.webhook_port`` (8601), ``ledger_path`` to
    ``settings.ledger_path``, ``settings`` to :func:`~console.config.load_settings`.
    It listens on loopback (``127.0.0.1``) in every mode: in live mode bePaid
    must reach an https ``webhook_url``, which a TLS reverse proxy in front of
    this port provides (uvicorn here speaks plain HTTP).

    The configuration is checked and, in sandbox mode, the sandbox's public key
    fetched (waiting up to ``key_wait`` seconds for the sandbox to come up)
    *before* the socket opens, so a problem ends the command with a clear message.

    ``limits`` bound how long a client may take to send a request and how many
    connections are served at once (default :class:`~console.webhooks.ReceiverLimits`).

    Logging: one line per notification, the receiver's own (route, object, status
    reported, console ref, verdict), and a warning per rejection — see
    :func:`log_config`.

    Raises:
        ConfigError: see :func:`~console.webhooks.create_app`, or the sandbox
            did not hand out its public key in time.
        LedgerError: the ledger cannot be opened.
    """
    settings = settings or load_settings()
    pem = configured_public_key(settings)
    if pem is None:
        pem = fetch_sandbox_public_key(settings.sandbox_url, wait=key_wait)
        assert settings.bepaid is not None
        settings = dataclasses.replace(
            settings, bepaid=dataclasses.replace(settings.bepaid, public_key=Secret(pem))
        )
    ledger = Ledger(ledger_path or settings.ledger_path)
    try:
        app = create_app(settings, ledger)
        port = port or settings.webhook_port
        routes = "/bepaid, /beyag" + (" and /payture" if settings.payture else "")
        print(
            f"Notification receiver: http://{host}:{port}/notifications{routes} "
            f"({settings.mode} mode, ledger {ledger.path})",
            flush=True,
        )
        options = (limits or ReceiverLimits()).uvicorn_options()
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),
            access_log=False,
            lifespan="on",
            **options,
        )
    finally:
        ledger.close()


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the receiver's own lines on its handler.

    The receiver logs each notification once, with what it made of it
    (``bepaid transaction 9f3… (successful) -> B17 applied``), and each rejection as
    a warning. Without a handler those lines went nowhere while uvicorn's access
    line (``"POST /notifications/bepaid HTTP/1.1" 200``) said less about every
    request; it is off, so ``/health`` probes leave no line either.
    """
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["console.webhooks"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config
