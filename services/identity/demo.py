"""The demo dataset the embedded mode starts with: two partners, their customers, people for every role."""

from __future__ import annotations

import json

OPERATOR_EMAIL = "operator@helpdesk.local"

PLATFORM: list[dict[str, object]] = [
    {"type": "partner", "id": "platform", "name": "Help Desk Platform"},
    {"type": "org", "id": "platform", "name": "Help Desk Platform", "partner_id": "platform"},
    {"type": "user", "id": "u-operator", "org_id": "platform", "email": OPERATOR_EMAIL,
     "first_name": "Platform", "last_name": "Operator", "roles": ["operator"]},
]
"""Who runs the platform, in the demo and in every generated dataset alike (so either can follow the other)."""

RECORDS: list[dict[str, object]] = [
    *PLATFORM,
    {"type": "partner", "id": "p-northwind", "name": "Northwind Partners"},
    {"type": "org", "id": "p-northwind", "name": "Northwind Partners", "partner_id": "p-northwind"},
    {"type": "user", "id": "u-agent", "org_id": "p-northwind", "email": "agent@northwind.example",
     "first_name": "Alex", "last_name": "Agent", "roles": ["helpdesk"]},
    {"type": "user", "id": "u-advanced", "org_id": "p-northwind", "email": "advanced@northwind.example",
     "first_name": "Ava", "last_name": "Advanced", "roles": ["helpdesk_advanced"]},
    {"type": "user", "id": "u-padmin", "org_id": "p-northwind", "email": "admin@northwind.example",
     "first_name": "Pat", "last_name": "Admin", "roles": ["partner_admin"]},
    {"type": "org", "id": "o-acme", "name": "Acme Corporation", "partner_id": "p-northwind", "country": "US",
     "created_at": "2023-04-12T09:30:00Z",
     "domains": [{"name": "acme.example", "status": "verified"}, {"name": "acme-corp.example",
                                                                   "status": "claimed"}],
     "sites": ["acme.webex.com"],
     "licenses": [{"sku": "MTG-PRO", "name": "Meetings Pro", "total": 50, "consumed": 3}],
     "phone_numbers": ["(415) 555-0199"]},
    {"type": "user", "id": "u-jane", "org_id": "o-acme", "email": "jane.doe@acme.example",
     "first_name": "Jane", "last_name": "Doe", "phone_numbers": ["+1 415 555 0100"], "licenses": ["MTG-PRO"],
     "features": {"recording": True, "webinars": False}},
    {"type": "user", "id": "u-cadmin", "org_id": "o-acme", "email": "it@acme.example",
     "first_name": "Carla", "last_name": "Admin", "roles": ["customer_admin"]},
    {"type": "org", "id": "o-bistro", "name": "Bistro Méditerranée", "partner_id": "p-northwind",
     "country": "FR", "domains": [{"name": "bistro.example", "status": "verified"}],
     "phone_numbers": ["01 42 68 50 00"]},
    {"type": "user", "id": "u-rene", "org_id": "o-bistro", "email": "rene.lefevre@bistro.example",
     "first_name": "René", "last_name": "Lefèvre", "phone_numbers": ["01 42 68 53 00"]},
    {"type": "device", "id": "d-desk1", "org_id": "o-acme", "product": "Desk Pro", "serial": "FOC2345X1YZ",
     "mac": "00:1A:2B:3C:4D:5E", "sip_address": "jane.doe@acme.example", "owner_user_id": "u-jane",
     "phone_numbers": ["+1 415 555 0101"]},
    {"type": "order", "number": "WO-100200", "org_id": "o-acme", "placed_at": "2024-01-15T10:00:00Z",
     "status": "provisioned"},
    {"type": "partner", "id": "p-contoso", "name": "Contoso Reseller"},
    {"type": "org", "id": "p-contoso", "name": "Contoso Reseller", "partner_id": "p-contoso"},
    {"type": "user", "id": "u-other-agent", "org_id": "p-contoso", "email": "agent@contoso.example",
     "first_name": "Olga", "last_name": "Other", "roles": ["helpdesk"]},
    {"type": "org", "id": "o-globex", "name": "Globex", "partner_id": "p-contoso",
     "domains": [{"name": "globex.example", "status": "verified"}]},
    {"type": "user", "id": "u-hank", "org_id": "o-globex", "email": "hank@globex.example",
     "first_name": "Hank", "last_name": "Scorpio"},
]

DEMO_LOGINS = {
    "operator": OPERATOR_EMAIL,
    "helpdesk": "agent@northwind.example",
    "helpdesk_advanced": "advanced@northwind.example",
    "partner_admin": "admin@northwind.example",
    "customer_admin": "it@acme.example",
}


def ndjson() -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in RECORDS)
