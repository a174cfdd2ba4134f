"""Provider clients: bePaid (subscriptions, hosted checkout, card transactions), beGateway
alternative payments (beyag) and Payture bills through behind-api.

Everything billing needs is importable from here; the modules behind it are:

    bepaid.py / bepaid_wire.py   bePaid client, and its request bodies and answer readers
    beyag.py                     alternative-payment client (same shop as bePaid)
    payture.py                   behind-api client for Payture bills
    models.py                    typed results (frozen dataclasses) and typed inputs
    errors.py                    the ProviderError hierarchy and the status -> class map
    policy.py                    Call, Timeouts, RetryPolicy
    failures.py                  what a failed attempt means; whether to retry
    http.py                      senders (sync / async), logging, shared httpx clients
    base.py, wire.py             client construction; JSON reading and input checks

Typical use (billing)::

    client = BepaidClient.from_settings(settings)
    link = client.create_checkout(NewCheckout(amount=1250, currency="BYN",
                                              description="Order 17", tracking_id="order-17"))
"""

from __future__ import annotations

from console.providers.bepaid import AsyncBepaidClient, BepaidClient
from console.providers.bepaid_wire import subscription_of as parse_subscription
from console.providers.bepaid_wire import transaction_of as parse_transaction
from console.providers.beyag import AsyncBeyagClient, BeyagClient
from console.providers.beyag import payment_of as parse_apm_payment
from console.providers.errors import (
    AuthenticationFailed,
    NotFound,
    OutcomeUnknown,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    ProviderValidationError,
    RateLimited,
    SandboxOnlyOperation,
    UnexpectedResponse,
    error_for_status,
    flatten_errors,
)
from console.providers.http import close_shared_clients
from console.providers.models import (
    AttemptFacts,
    BeyagPayment,
    BillExtras,
    Checkout,
    CheckoutLink,
    Customer,
    FormField,
    LastTransaction,
    NewApmPayment,
    NewCheckout,
    NewCustomer,
    NewPlan,
    NewRefund,
    PayForm,
    PaytureBill,
    PaytureBillStatus,
    Period,
    Plan,
    Product,
    Subscription,
    Transaction,
)
from console.providers.payture import EXTENDED_KEYS as PAYTURE_EXTENDED_KEYS
from console.providers.payture import AsyncPaytureClient, PaytureClient
from console.providers.payture import extended_of as payture_extended
from console.providers.policy import RetryPolicy, Timeouts

__all__ = [
    "PAYTURE_EXTENDED_KEYS",
    "AsyncBepaidClient",
    "AsyncBeyagClient",
    "AsyncPaytureClient",
    "AttemptFacts",
    "AuthenticationFailed",
    "BepaidClient",
    "BeyagClient",
    "BeyagPayment",
    "BillExtras",
    "Checkout",
    "CheckoutLink",
    "Customer",
    "FormField",
    "LastTransaction",
    "NewApmPayment",
    "NewCheckout",
    "NewCustomer",
    "NewPlan",
    "NewRefund",
    "NotFound",
    "OutcomeUnknown",
    "PayForm",
    "PaytureBill",
    "PaytureBillStatus",
    "PaytureClient",
    "Period",
    "Plan",
    "Product",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "ProviderValidationError",
    "RateLimited",
    "RetryPolicy",
    "SandboxOnlyOperation",
    "Subscription",
    "Timeouts",
    "Transaction",
    "UnexpectedResponse",
    "close_shared_clients",
    "error_for_status",
    "flatten_errors",
    "parse_apm_payment",
    "parse_subscription",
    "parse_transaction",
    "payture_extended",
]
