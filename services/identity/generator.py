"""A deterministic synthetic dataset, as import records: partners, customers, users, devices and orders.

`records(users=N)` yields about N users in N/10 customers with N devices and N/10 orders, written the many ways
real data arrives: names with accents, phone numbers of several countries in national and international
notation, MAC addresses with colons, dashes, dots or nothing. Some customers have main numbers and some desk and
room devices a line, each number given once. The same arguments always give the same records.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers

from services.identity import demo

Record = dict[str, Any]

COUNTRIES: dict[str, tuple[list[str], list[str]]] = {
    "US": (["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Chloé", "José"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Rodríguez", "Wilson"]),
    "GB": (["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Siân", "Eóin"],
           ["Taylor", "Davies", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Robinson", "O'Brien", "Hughes"]),
    "DE": (["Jürgen", "Anna", "Lukas", "Lea", "Jörg", "Sophie", "Felix", "Marie", "Björn", "Käthe"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner", "Becker", "Schäfer", "Köhler"]),
    "FR": (["René", "Élodie", "Jérôme", "Hélène", "François", "Anaïs", "Benoît", "Céline", "Gaël", "Zoé"],
           ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Mercier", "Faure"]),
    "ES": (["José", "María", "Lucía", "Álvaro", "Sofía", "Íñigo", "Martín", "Inés", "Raúl", "Nuria"],
           ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
            "Muñoz"]),
    "IT": (["Giuseppe", "Giulia", "Niccolò", "Chiara", "Luca", "Francesca", "Matteo", "Aurora", "Nicolò",
            "Ludovica"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
            "D'Angelo"]),
    "BR": (["João", "Ana", "Luís", "Júlia", "Gabriel", "Beatriz", "Caio", "Letícia", "Thiago", "Conceição"],
           ["Silva", "Santos", "Oliveira", "Souza", "Conceição", "Araújo", "Gonçalves", "Lima", "Simões",
            "Pereira"]),
    "SE": (["Åsa", "Lars", "Björn", "Ingrid", "Sören", "Märta", "Erik", "Linnéa", "Göran", "Astrid"],
           ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
            "Svensson", "Åberg"]),
    "PL": (["Łukasz", "Zofia", "Paweł", "Małgorzata", "Michał", "Agnieszka", "Wojciech", "Katarzyna", "Jan",
            "Żaneta"],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
            "Szymański", "Woźniak"]),
    "JP": (["Haruto", "Yui", "Sōta", "Hina", "Ren", "Aoi", "Yūki", "Sakura", "Kenta", "Mei"],
           ["Satō", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Itō", "Yamamoto", "Nakamura", "Kobayashi",
            "Katō"]),
}
COMPANY_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
                 "Hooli", "Vandelay", "Wonka", "Gringotts", "Aperture", "Monarch", "Nakatomi", "Oscorp",
                 "Pied Piper", "Massive", "Dunder", "Bistro", "Nordlicht", "Café", "Société", "Müller",
                 "Zürich", "Atlântico", "Fjällräv", "Kraków", "Sakura"]
COMPANY_KINDS = ["Corporation", "GmbH", "SARL", "S.p.A.", "Ltd", "AB", "S.A.", "Labs", "Logistics",
                 "Consulting", "Médical", "Industries", "Holdings", "Partners", "Sp. z o.o.", "KK"]
PRODUCTS = ["Desk Pro", "Desk Mini", "Room Bar", "Room Kit", "Board 55", "IP Phone 8865", "IP Phone 6841",
            "Headset 730", "Navigator"]
LINE_PRODUCTS = ("Desk ", "Room ", "IP Phone ")
DEVICE_STATUSES = ["online", "online", "online", "offline", "expired"]
ORDER_STATUSES = ["provisioned", "provisioned", "pending", "cancelled", "provisioning"]
OFFERS = [("MTG-PRO", "Meetings Pro"), ("CALL-ENT", "Calling Enterprise"), ("MSG-STD", "Messaging Standard"),
          ("DEV-CLOUD", "Cloud Device")]
FEATURES = ["recording", "webinars", "transcription", "external_messaging", "file_sharing", "calling"]
_EPOCH = datetime(2018, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scale:
    """How big a dataset is, from its number of users."""

    users: int

    @property
    def orgs(self) -> int:
        return max(2, self.users // 10)

    @property
    def partners(self) -> int:
        return max(2, self.orgs // 500)

    @property
    def devices(self) -> int:
        return self.users

    @property
    def orders(self) -> int:
        return self.orgs

    @property
    def records(self) -> int:
        """Every record yielded, for a progress bar: partners with their staff, orgs, users, devices, orders."""
        return 3 + self.partners * 4 + self.orgs + self.users + self.devices + self.orders


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def _mac(rng: random.Random) -> str:
    digits = f"{rng.getrandbits(48) & 0xFEFFFFFFFFFF:012x}"
    style = rng.randrange(4)
    if style == 0:
        return ":".join(digits[i:i + 2] for i in range(0, 12, 2)).upper()
    if style == 1:
        return "-".join(digits[i:i + 2] for i in range(0, 12, 2))
    if style == 2:
        return ".".join(digits[i:i + 4] for i in range(0, 12, 4))
    return digits.upper()


def _example(country: str, kind: int) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(country, kind)
    assert example is not None
    return example


def _phone(rng: random.Random, country: str) -> str:
    example = _example(country, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    mixed = national[:-4] + f"{rng.randrange(10_000):04d}"
    return _written(rng, phonenumbers.parse(f"+{example.country_code}{mixed}", None), country)


def _fixed_line(n: int, country: str) -> phonenumbers.PhoneNumber | None:
    """The country's n-th fixed line (of a million): its example number with the last six digits counted, so no two
    are alike; None for one in the block that users' numbers are drawn from (`_phone`), so that none is a user's."""
    example = _example(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    users = str(_example(country, phonenumbers.PhoneNumberType.MOBILE).national_number)[:-4]
    national = str(example.national_number)[:-6] + f"{n:06d}"
    if len(national) == len(users) + 4 and national.startswith(users):
        return None
    return phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(national),
                                    italian_leading_zero=example.italian_leading_zero)


def _written(rng: random.Random, number: phonenumbers.PhoneNumber, country: str) -> str:
    """The number as people write it: E.164, international, national, with 00 and dots, national with dashes."""
    style = rng.randrange(5)
    if style == 0:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if style == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style == 2:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    if style == 3 and metadata is not None and metadata.international_prefix == "00":
        international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return "00" + international[1:].replace(" ", ".")
    national_text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national_text.replace(" ", "-")


class _Generator:
    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.order_number = 100_000
        # Lines are drawn from a sequence of their own: everything else is what the same seed gave before them.
        self.lines_rng = random.Random(f"lines-{seed}")
        self.lines: Counter[str] = Counter()  # fixed lines given so far, by country

    def line(self, country: str) -> str:
        """A number nobody was given before: the country's next fixed line, written as people write it."""
        number = None
        while number is None:
            number = _fixed_line(self.lines[country], country)
            self.lines[country] += 1
        return _written(self.lines_rng, number, country)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def when(self, start: datetime = _EPOCH, days: int = 2500) -> str:
        moment = start + timedelta(days=self.rng.randrange(days), seconds=self.rng.randrange(86_400))
        return moment.isoformat().replace("+00:00", "Z")

    def partners(self) -> Iterator[Record]:
        for n in range(1, self.scale.partners + 1):
            pid, domain = f"partner-{n:04d}", f"partner{n}.example"
            yield {"type": "partner", "id": pid, "name": f"{self.rng.choice(COMPANY_WORDS)} Partners {n}"}
            yield {"type": "org", "id": pid, "name": f"Partner {n} staff", "partner_id": pid}
            for role in ("helpdesk", "partner_admin"):
                yield {"type": "user", "id": f"{pid}-{role}", "org_id": pid, "email": f"{role}@{domain}",
                       "first_name": "Partner", "last_name": role.replace("_", " ").title(), "roles": [role]}

    def customers(self) -> Iterator[Record]:
        orgs, users, devices = self.scale.orgs, self.scale.users, self.scale.devices
        for index in range(orgs):
            org_users = users // orgs + (1 if index < users % orgs else 0)
            org_devices = devices // orgs + (1 if index < devices % orgs else 0)
            yield from self.customer(index, org_users, org_devices)

    def main_numbers(self, country: str) -> list[str]:
        """A customer's own numbers: none for most, one to three for the others."""
        count = self.lines_rng.choice((0, 0, 0, 1, 1, 2, 3))
        return [self.line(country) for _ in range(count)]

    def has_line(self, product: str) -> bool:
        """Whether a device has a line: half the desk phones and desk and room devices do, nothing else."""
        return product.startswith(LINE_PRODUCTS) and self.lines_rng.random() < 0.5

    def customer(self, index: int, user_count: int, device_count: int) -> Iterator[Record]:
        rng = self.rng
        country = rng.choice(list(COUNTRIES))
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {index + 1}"
        slug = f"{_slug(name)}"
        domain = f"{slug}.example"
        org_id = self.uid()
        licenses = [{"sku": sku, "name": label, "total": user_count + rng.randrange(20),
                     "consumed": rng.randrange(user_count + 1)} for sku, label in rng.sample(OFFERS, 2)]
        subscription_id = f"Sub{rng.randrange(10**8):08d}"
        yield {
            "type": "org", "id": org_id, "name": name, "partner_id": f"partner-{index % self.scale.partners + 1:04d}",
            "country": country, "created_at": self.when(),
            "domains": [{"name": domain, "status": "verified"},
                        *([{"name": f"{slug}-mail.example", "status": "claimed"}] if rng.random() < 0.3 else [])],
            "sites": [f"{slug}.meet.example"],
            "subscriptions": [{"id": subscription_id, "offer": licenses[0]["sku"], "quantity": user_count + 5,
                               "status": "active", "start": self.when(), "end": self.when(datetime(2027, 1, 1,
                                                                                                  tzinfo=UTC))}],
            "licenses": licenses,
            **({"phone_numbers": mains} if (mains := self.main_numbers(country)) else {}),
        }
        first_names, last_names = COUNTRIES[country]
        owners = []
        for n in range(user_count):
            first, last = rng.choice(first_names), rng.choice(last_names)
            user_id = self.uid()
            owners.append((user_id, f"{_slug(first)}.{_slug(last)}{n}@{domain}"))
            yield {
                "type": "user", "id": user_id, "org_id": org_id, "email": f"{_slug(first)}.{_slug(last)}{n}@{domain}",
                "first_name": first, "last_name": last,
                "phone_numbers": [_phone(rng, country) for _ in range(rng.choice((0, 1, 1, 2)))],
                "status": rng.choice(("active", "active", "active", "pending", "inactive")),
                "roles": ["customer_admin"] if n == 0 else [],
                "licenses": [licenses[0]["sku"]] if rng.random() < 0.8 else [],
                "features": {feature: rng.random() < 0.5 for feature in rng.sample(FEATURES, 3)},
            }
        for n in range(device_count):
            owner = rng.choice(owners) if owners and rng.random() < 0.7 else None
            device_id, product = self.uid(), rng.choice(PRODUCTS)
            yield {
                "type": "device", "id": device_id, "org_id": org_id, "product": product,
                "serial": f"FOC{rng.randrange(36**8):08X}", "mac": _mac(rng),
                "sip_address": owner[1] if owner else f"room-{n}@{domain}",
                **({"owner_user_id": owner[0]} if owner else {"owner_place": f"Room {n // 10}.{n % 10}"}),
                "status": rng.choice(DEVICE_STATUSES),
                **({"phone_numbers": [self.line(country)]} if self.has_line(product) else {}),
            }
        for _ in range(max(1, self.scale.orders // self.scale.orgs)):
            self.order_number += 1 + rng.randrange(5)
            yield {"type": "order", "number": f"WO-{self.order_number}", "org_id": org_id,
                   "placed_at": self.when(), "status": rng.choice(ORDER_STATUSES), "subscription_id": subscription_id}


def records(users: int, seed: int = 7) -> Iterator[Record]:
    """Every record of a dataset of about `users` users, parents before children, never all in memory."""
    generator = _Generator(Scale(users), seed)
    yield from demo.PLATFORM
    yield from generator.partners()
    yield from generator.customers()
