"""The email service's settings, from EMAIL_* environment variables."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from runtime.settings import CommonSettings


class EmailSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="EMAIL_", extra="ignore")

    port: int = 8003
    mongo_database: str = "email"
    # "demo": at start, record the demo's delivery reports (a delivered message, a hard bounce).
    seed: Literal["none", "demo"] = "none"

    # Where outgoing mail goes: "smtp" to the server below; "memory" keeps it in the process for GET
    # /internal/outbox (the embedded mode, where a person trying the product reads their codes there).
    mailer: Literal["smtp", "memory"] = "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(8025, ge=1, le=65535)
    # "starttls": upgrade a plain connection (usually port 587); "tls": TLS from the start (usually 465).
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(30.0, gt=0)
    from_address: str = "Help Desk <helpdesk@helpdesk.local>"
    # A message that may still go through (server down, a 4xx reply) is tried again after the first delay, each
    # next delay `retry_factor` times longer, until it was tried `send_attempts` times; then it has failed.
    retry_first_delay_seconds: float = Field(30.0, ge=0)
    retry_factor: float = Field(2.0, ge=1)
    send_attempts: int = Field(8, ge=1)
    # A sender that claimed a message and has not recorded what became of it for this long is taken to have
    # crashed: another takes the message over. Longer than a send may take.
    claim_lease_seconds: float = Field(60.0, gt=0)
    # How often the sender looks for messages due again, besides being woken when one is queued.
    sender_poll_seconds: float = Field(1.0, gt=0)
    # Keys the hash kept of each verification code and seals pending mail, so a copy of the database gives neither
    # away. Every replica needs the same one: required unless the data is in this process's memory.
    secret: str = ""
    code_digits: int = Field(6, ge=6, le=10)
    # Codes sent: at most so many per user in so many minutes, and per agent in an hour.
    codes_per_user: int = Field(3, ge=1)
    codes_per_user_minutes: int = Field(15, ge=1)
    codes_per_agent_hour: int = Field(30, ge=1)

    @model_validator(mode="after")
    def _a_send_ends_within_its_claim(self) -> Self:
        if self.smtp_timeout_seconds >= self.claim_lease_seconds:
            raise ValueError("smtp_timeout_seconds must be shorter than claim_lease_seconds, or a slow send could be "
                             "taken over and sent twice")
        return self

    @model_validator(mode="after")
    def _a_secret_shared_by_every_replica(self) -> Self:
        if self.storage == "mongo" and len(self.secret) < 16:
            raise ValueError("EMAIL_SECRET (at least 16 characters) is required: every replica keys the codes' hashes "
                             "and seals pending mail with it")
        return self
