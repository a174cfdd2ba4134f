"""bePaid customers: ``POST /customers``, ``GET /customers``, ``GET /customers/{id}``.

Fields as bePaid's customers doc lists them: ``email`` and ``ip`` are required;
``first_name``, ``last_name``, ``address``, ``city``, ``country`` (ISO 3166-1
alpha-2), ``zip`` (``NNNNN`` or ``NNNNN-NNNN`` when the country is US), ``state``
(required for US and CA) and ``phone`` are optional. ``POST`` answers 201 with the
customer; ``GET /customers`` is a bare array, newest first, paged like plans.
Unknown id → 404.

A subscription's inline customer is checked the same way, errors nested under
``customer``.
"""

from __future__ import annotations

import ipaddress
import re
import sqlite3
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from provider_sandbox.bepaid import validation as check
from provider_sandbox.bepaid.records import (
    Source,
    all_objects,
    create_response,
    list_response,
    load_object,
    new_id,
    object_response,
    store_object,
)
from provider_sandbox.core import Sandbox

UNKNOWN_CUSTOMER = "customer with this ID doesn't exist for this account"
OPTIONAL_TEXT = ("first_name", "last_name", "address", "city", "phone")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
US_ZIP = re.compile(r"\d{5}(-\d{4})?")

SCHEMA = """
CREATE TABLE IF NOT EXISTS bepaid_customers (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    data TEXT NOT NULL
);
"""


def validate_customer(errors: check.Errors, body: dict[str, Any], at: check.Path) -> dict[str, Any]:
    """Check a customer's fields (``at``: ``()`` or ``("customer",)``)."""
    fields: dict[str, Any] = {
        name: check.text(errors, (*at, name), body.get(name)) for name in OPTIONAL_TEXT
    }
    email = check.text(errors, (*at, "email"), body.get("email"), required=True)
    if email is not None and not EMAIL.fullmatch(email):
        errors.add((*at, "email"), check.INVALID)
    ip = check.text(errors, (*at, "ip"), body.get("ip"), required=True)
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            errors.add((*at, "ip"), check.INVALID)
    country = check.text(errors, (*at, "country"), body.get("country"), limit=2)
    if country is not None and not (country.isascii() and country.isalpha() and len(country) == 2):
        errors.add((*at, "country"), check.INVALID)
    country = country.upper() if country else None
    zip_code = check.text(errors, (*at, "zip"), body.get("zip"), limit=16)
    if zip_code is not None and country == "US" and not US_ZIP.fullmatch(zip_code):
        errors.add((*at, "zip"), check.INVALID)
    state = check.text(
        errors, (*at, "state"), body.get("state"), required=country in ("US", "CA"), limit=2
    )
    return {**fields, "country": country, "zip": zip_code, "state": state, "email": email, "ip": ip}


def insert_customer(
    conn: sqlite3.Connection, fields: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return store_object(conn, "bepaid_customers", {"id": new_id("cst"), **fields}, now)


def load_customer(source: Source, customer_id: Any) -> dict[str, Any] | None:
    return load_object(source, "bepaid_customers", customer_id)


async def create_customer(request: Request) -> Response:
    return await create_response(request, validate_customer, insert_customer)


async def list_customers(request: Request) -> Response:
    return list_response(request, "bepaid_customers")


async def get_customer(request: Request) -> Response:
    return object_response(request, load_customer)


def state_section(sandbox: Sandbox) -> list[dict[str, Any]]:
    return all_objects(sandbox, "bepaid_customers")


def install(sandbox: Sandbox) -> None:
    sandbox.store.ensure_schema(SCHEMA)


routes = [
    Route("/customers", create_customer, methods=["POST"]),
    Route("/customers", list_customers, methods=["GET"]),
    Route("/customers/{id}", get_customer, methods=["GET"]),
]
