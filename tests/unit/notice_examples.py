"""Notification bodies for the masking and replay tests: the providers' documented examples,
verbatim (provider-docs/bepaid-subscriptions.ru.txt and begateway-apm-payments.ru.txt:
"the same message is sent in the notification" — the doc's words for beyag; bePaid posts
the bare subscription object), and a card transaction shaped as the sandbox sends it
(the docs show none). JSON text, so each test reads it as the receiver would."""

from __future__ import annotations

import json
from typing import Any

SUBSCRIPTION_REDIRECTING = r"""
{
"card": {},
"created_at": "2015-05-11T12:48:14.067Z",
"customer": {},
"device_id": null,
"id": "sbs_cdf887166553b5ae",
"last_transaction": null,
"plan": {
"currency": "USD",
"id": "pln_8f9c9dd63c9a5787",
"plan": {
"amount": 20,
"interval": 20,
"interval_unit": "day"
},
"title": "Title",
"trial": {
"amount": 10,
"interval": 10,
"interval_unit": "hour"
}
},
"redirect_url": "https://checkout.bepaid.by/v2/checkout?token=3241e439f8c87d941d92321a4bdc030d4c9a69c67f3b0cfe12de4a13cc34aa51",
"renew_at": null,
"active_to": null,
"state": "redirecting",
"token": "3241e439f8c87d941d92621a4bdc030d4c9a69c67f3b0cfe12de4a13cc34aa51",
"tracking_id": null
}
"""

SUBSCRIPTION_CREATED_WITH_CARD = r"""
{
"id": "sbs_43cb5f79f8b56c17",
"state": "successful",
"tracking_id": "my_tracking_id",
"device_id": null,
"created_at": "2021-07-01T13:05:45.699Z",
"renew_at": null,
"active_to": null,
"card": {
"holder": "John Doe",
"stamp": "b3839d334ba40e89168d60cd9f9d1390aee3fe67dd4d5c41adbf3998043eaef8",
"brand": "visa",
"last_4": "0000",
"first_1": "4",
"bin": "420000",
"issuer_country": null,
"issuer_name": null,
"product": null,
"token": "1e2f9f69-a9d3-4d6d-a6c3-f029c3db70e6",
"token_provider": null,
"exp_month": 1,
"exp_year": 2026
},
"customer": {
"id": "cst_cebacd2a35f2041e"
},
"paid_billing_cycles": 0,
"number_failed_payment_attempts": 0,
"additional_data": {},
"plan": {
"id": "pln_7fd782ffa0fbc926",
"title": "Basic plan",
"currency": "USD",
"language": null,
"infinite": true,
"billing_cycles": null,
"trial": {
"amount": 10,
"interval": 10,
"interval_unit": "hour"
},
"plan": {
"amount": 20,
"interval": 20,
"interval_unit": "day"
},
"number_payment_attempts": 1,
"test": null
},
"last_transaction": {
"uid": "11749-e427d3dc44",
"status": "successful",
"message": "Successfully processed",
"created_at": "2021-07-01T13:05:46.447Z"
}
}
"""

SUBSCRIPTION_3DS_WITH_CARD_TOKEN = r"""
{
"card": {
"token": "159335feed5ee3facbc0d882f19d199fc5c60019f668e40fe15d6fedbd390295",
"holder": "John Doe",
"stamp": "lkdfsklba40e89168d60cd9f9d1390aee3fe67dd4d5c41adbf3998043eaef8",
"brand": "visa",
"last_4": "0000",
"first_1": "4",
"bin": "420000",
"issuer_country": null,
"issuer_name": null,
"product": null,
"token_provider": null,
"exp_month": 1,
"exp_year": 2026
},
"created_at": "2015-03-18T10:06:01.406Z",
"customer": {
"id": "cst_5d6a3dbbfdfd29d5"
},
"device_id": null,
"id": "sbs_9d0912f6b8ab65bc",
"last_transaction": {
"created_at": "2015-03-18T10:06:01.000Z",
"message": null,
"redirect_url": "https://gateway.bepaid.by/process/94-bb19e2c4bc",
"status": "incomplete",
"uid": "94-bb19e2c4bc"
},
"plan": {
"currency": "USD",
"id": "pln_e6851bf1a933bb3b",
"plan": {
"amount": 90,
"interval": 3,
"interval_unit": "day"
},
"title": "Mens Health",
"trial": {
"amount": 10,
"interval": 24,
"interval_unit": "hour"
}
},
"renew_at": null,
"active_to": null,
"state": "redirecting",
"tracking_id": null
}
"""

SUBSCRIPTION_AS_READ = r"""
{
"id": "sbs_43cb5f79f8b56c17",
"state": "successful",
"tracking_id": "my_tracking_id",
"device_id": null,
"created_at": "2021-07-01T13:05:45.699Z",
"renew_at": null,
"active_to": null,
"card": {
"holder": "John Doe",
"stamp": "pr334ba40e89168d60cd9f9d1390aee3fe67dd4d5c41adbf3998043eaef8",
"brand": "visa",
"last_4": "0000",
"first_1": "4",
"bin": "420000",
"issuer_country": null,
"issuer_name": null,
"product": null,
"token": "1e2f9f69-a9d3-4d6d-a6c3-f029c3db70e6",
"token_provider": null,
"exp_month": 1,
"exp_year": 2026
},
"customer": {
"id": "cst_cebacd2a35f2041e"
},
"paid_billing_cycles": 0,
"number_failed_payment_attempts": 0,
"additional_data": {},
"plan": {
"id": "pln_7fd782ffa0fbc926",
"title": "Basic plan",
"currency": "USD",
"language": null,
"infinite": true,
"billing_cycles": null,
"trial": {
"amount": 10,
"interval": 10,
"interval_unit": "hour"
},
"plan": {
"amount": 20,
"interval": 20,
"interval_unit": "day"
},
"number_payment_attempts": 1,
"test": null
},
"last_transaction": {
"uid": "11749-e427d3dc44",
"status": "successful",
"message": "Successfully processed",
"created_at": "2021-07-01T13:05:46.447Z"
}
}
"""

SUBSCRIPTION_CANCELED = r"""
{
"card": {
"token": "064a120788b5847f866ff3def0c97ae12a6ff069407317fef172dcbafa3187e6",
"holder": "John Doe",
"stamp": "qr34ba40e89168d60cd9f9d1390aee3fe67dd4d5c41adbf3998043eaef8",
"brand": "visa",
"last_4": "0000",
"first_1": "4",
"bin": "420000",
"issuer_country": null,
"issuer_name": null,
"product": null,
"token_provider": null,
"exp_month": 1,
"exp_year": 2026
},
"created_at": "2015-01-27T15:59:55.609Z",
"customer": {
"id": "cst_e64cc8479090991e"
},
"id": "sbs_b1b7139d9b664293",
"plan": {
"currency": "USD",
"id": "pln_068ed4bb9ce03298",
"plan": {
"amount": 20,
"interval": 7,
"interval_unit": "day"
},
"title": "Basic plan",
"trial": {
"amount": 10,
"interval": 40,
"interval_unit": "hour"
}
},
"cancel_reason": "Customer's request",
"cancelled_at": "2015-02-28T14:19:55.009Z",
"renew_at": null,
"active_to": "2015-03-28T01:54:32.684Z",
"state": "canceled",
"tracking_id": "my_tracking_id",
"transaction": null
}
"""

APM_SUCCESSFUL = r"""
{
  "transaction":{
    "uid":"2-52671c8733",
    "type":"payment",
    "status":"successful",
    "amount":100,
    "currency":"USD",
    "description":"Test transaction",
    "created_at":"2024-06-11T12:04:59+03:00",
    "updated_at":"2024-06-11T12:04:59+03:00",
    "tracking_id":"tracking_id_000",
    "message":"Successfully processed",
    "test":true,
    "method_type":":method_name",
    "receipt_url": "https://demo-backoffice.begateway.com/customer/transactions/2-52671c8733/11443f39ae75aa1f955a9c9283cd5045bfb0413b65d666f834a9da4e7d3926b5",
    ":method_name":{
      "type":":method_name",
      "token":"55524-1559836037-0-1800"
    },
    "payment":{
      "status":"successful",
      "gateway_id":85,
      "ref_id":"777888",
      "message":"The operation was successfully processed",
      "bank_code": null,
      "rrn": null
    },
    "customer":{
      "ip":"127.0.0.1",
      "email":"john@example.com"
    },
    "billing_address":{
      "first_name":"John",
      "last_name":"Doe",
      "address":"1st Street",
      "country":"US",
      "city":"Denver",
      "zip":"96002",
      "phone":17777777777
    }
  }
}
"""

APM_PENDING_WITH_FORM = r"""
{
  "transaction":{
    "status":"pending",
    "type":"payment",
    "uid":"8759cf84-e56d-44b7-a8ae-62640f6402c4",
    "amount":1000,
    "currency":"USD",
    "description":"Order #123",
    "tracking_id":"AB8923",
    "created_at":"2024-12-07T14:21:24.420Z",
    "expired_at":"2025-12-07T14:51:240Z",
    "paid_at":"2024-12-07T14:40:120Z",
    "test":true,
    "method_type":":method_name",
    "receipt_url": "https://demo-backoffice.begateway.com/customer/transactions/2-52671c8733/11443f39ae75aa1f955a9c9283cd5045bfb0413b65d666f834a9da4e7d3926b5",
    "language":"en",
    "billing_address":{
        "first_name": "Ivan",
        "middle_name": "M",
        "last_name": "Doe",
        "country": "LV",
        "city": "Riga",
        "zip": "LV1024",
        "address": "Brivibas str, 123",
        "phone": "+372500000000"
    },
    "customer":{
        "email":"ivan@example.com",
        "ip":"127.0.0.7"
    },
    "payment":{
        "ref_id":null,
        "message":null,
        "status":"pending",
        "gateway_id":1,
        "bank_code": null,
        "rrn": null
    },
    ":method_name":{
        "type":":method_name",
        "account":"myaccount@example.com"
    },
    "form":{
        "action":"https://pay.method-name.com",
        "method":"GET",
        "fields":[
            {
              "type":"hidden",
              "name":"sid",
              "id":"sid",
              "value":"185737d3d7f665641ab339ea38dc06bc"
            }
        ]
    }
  }
}
"""
# sic: the doc's APM_PENDING_WITH_FORM has a comma after "account" (removed above, or it is
# not JSON) and malformed times ("2025-12-07T14:51:240Z"), which the readers refuse.

CARD_TRANSACTION = json.dumps(
    {
        "transaction": {
            "uid": "170283642-4b2a1c9d0e",
            "status": "successful",
            "amount": 1250,
            "currency": "BYN",
            "description": "Coffee beans, 1 kg",
            "type": "payment",
            "payment_method_type": "credit_card",
            "tracking_id": "mc-link-01JF8Z6T5Q0V7W3X9Y2A4B6C8D",
            "message": "Successfully processed",
            "test": True,
            "created_at": "2026-01-05T10:00:00Z",
            "updated_at": "2026-01-05T10:00:02Z",
            "paid_at": "2026-01-05T10:00:02Z",
            "closed_at": None,
            "settled_at": None,
            "language": "en",
            "redirect_url": None,
            "credit_card": {
                "holder": "Jane Payer",
                "stamp": "8a6a3d3f4b0f0e6b0c3e1a9c8d7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5",
                "brand": "visa",
                "last_4": "0000",
                "first_1": "4",
                "bin": "420000",
                "issuer_country": None,
                "issuer_name": None,
                "product": None,
                "token": "6f1b7c1e-8d2a-4f7e-9b4c-2a3d5e6f7a8b",
                "token_provider": None,
                "exp_month": 12,
                "exp_year": 2039,
            },
            "three_d_secure_verification": {"eci": "05", "cavv": "AAABBBCCCDDDEEEFFF000111222="},
            "customer": {"email": "journey@example.com", "ip": "127.0.0.1"},
            "additional_data": {},
            "payment": {
                "auth_code": "654321",
                "bank_code": "05",
                "rrn": "999",
                "ref_id": "777888",
                "message": "Payment was approved",
                "gateway_id": 1,
                "billing_descriptor": "TEST GATEWAY BILLING DESCRIPTOR",
                "status": "successful",
            },
        }
    }
)

PAYTURE_NOTICE = '{"bill_id": "bill-8c1f", "status": "PAID", "amount": 50000}'

#: (name, route, body) of every example, for parametrized tests.
EXAMPLES: list[tuple[str, str, str]] = [
    ("card transaction", "bepaid", CARD_TRANSACTION),
    ("subscription redirecting", "bepaid", SUBSCRIPTION_REDIRECTING),
    ("subscription created with a card", "bepaid", SUBSCRIPTION_CREATED_WITH_CARD),
    ("subscription after 3-D Secure", "bepaid", SUBSCRIPTION_3DS_WITH_CARD_TOKEN),
    ("subscription as read", "bepaid", SUBSCRIPTION_AS_READ),
    ("subscription canceled", "bepaid", SUBSCRIPTION_CANCELED),
    ("apm successful", "beyag", APM_SUCCESSFUL),
    ("apm pending with its form", "beyag", APM_PENDING_WITH_FORM),
    ("payture bill", "payture", PAYTURE_NOTICE),
]


def loaded(body: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body)
    return data
