"""E-mail addresses as every service reads them: email-validator's syntax rules and normal form, without DNS.

One policy for all, so an address that identity accepts for a user is one the email service accepts for that
user's mail, in either mode of running.
"""

from __future__ import annotations

import email_validator

# The platform's own staff sign in as operator@helpdesk.local; no customer address is ever under .local.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d != "local"]


def normalized(address: str) -> str:
    """The address in email-validator's normal form (the domain in lower case); raises EmailNotValidError, a
    ValueError whose message says what is wrong, when it is not an address."""
    return email_validator.validate_email(address, check_deliverability=False).normalized
