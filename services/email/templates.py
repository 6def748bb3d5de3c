"""The mails the service writes, in plain text and HTML, in English and Italian: the user's language, else English.

Every value put into a mail's HTML is escaped here, once: a user's name is whatever an import gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from string import Template

LOCALES = ("en", "it")
CODE = "$code"


@dataclass(frozen=True)
class Wording:
    """One mail's words in one language; `$name`, `$code` and `$minutes` are filled in. A paragraph that is just
    `$code` shows the code on its own, large."""

    subject: str
    greeting: str
    greeting_without_name: str
    paragraphs: tuple[str, ...]
    minute: str
    minutes: str


VERIFICATION_CODE = {
    "en": Wording(
        subject="Your verification code",
        greeting="Hello $name,", greeting_without_name="Hello,",
        paragraphs=(
            "An agent of your IT support asked for this code to confirm who you are on the phone:",
            CODE,
            "Read it only to the agent who is on the line with you. It expires in $minutes.",
            "If you did not call your IT support, ignore this message.",
        ),
        minute="1 minute", minutes="$count minutes"),
    "it": Wording(
        subject="Il tuo codice di verifica",
        greeting="Ciao $name,", greeting_without_name="Ciao,",
        paragraphs=(
            "Un operatore del tuo supporto IT ha chiesto questo codice per confermare la tua identità al telefono:",
            CODE,
            "Leggilo solo all'operatore che è in linea con te. Scade tra $minutes.",
            "Se non hai chiamato il tuo supporto IT, ignora questo messaggio.",
        ),
        minute="1 minuto", minutes="$count minuti"),
}


def language(locale: str) -> str:
    """The language to write in: the user's (`it`, `it-IT`) if the service writes it, else English."""
    lang = locale.strip().lower().replace("_", "-").partition("-")[0]
    return lang if lang in LOCALES else "en"


def verification_code(code: str, name: str, locale: str, minutes: int) -> tuple[str, str, str]:
    """The mail that carries a verification code: (subject, plain text, HTML)."""
    lang = language(locale)
    words = VERIFICATION_CODE[lang]
    duration = words.minute if minutes == 1 else Template(words.minutes).substitute(count=minutes)
    values = {"name": name.strip(), "code": code, "minutes": duration}
    greeting = words.greeting if values["name"] else words.greeting_without_name
    paragraphs = [(template == CODE, Template(template).substitute(values))
                  for template in (greeting, *words.paragraphs)]
    text = "\n\n".join(("    " if shows_code else "") + p for shows_code, p in paragraphs) + "\n"
    html = _page(lang, words.subject, [
        f'<p style="font-size:28px;font-family:monospace;letter-spacing:4px"><strong>{escape(p)}</strong></p>'
        if shows_code else f"<p>{escape(p)}</p>" for shows_code, p in paragraphs])
    return words.subject, text, html


def _page(lang: str, title: str, body: list[str]) -> str:
    head = f'<head><meta charset="utf-8"><title>{escape(title)}</title></head>'
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n{head}\n<body style="font-family:sans-serif;line-height:1.5">\n'
            + "\n".join(body) + "\n</body>\n</html>\n")


@dataclass(frozen=True)
class RequestWording:
    """The words of the mail asking a customer admin to approve an agent's full admin access; `$name`, `$agent`,
    `$partner` and `$reason` are filled in."""

    subject: str
    greeting: str
    greeting_without_name: str
    paragraphs: tuple[str, ...]


ACCESS_REQUEST = {
    "en": RequestWording(
        subject="$agent asks for admin access to your organisation",
        greeting="Hello $name,", greeting_without_name="Hello,",
        paragraphs=(
            "$agent, of your IT support partner $partner, asks for full admin access to your organisation for one "
            "hour. Their reason:",
            "$reason",
            "To approve or deny it, sign in to the Partner Help Desk as an administrator of your organisation and "
            "open Access requests. If nobody answers within an hour, the request lapses and gives no access.",
            "If you do not expect this request, deny it.",
        )),
    "it": RequestWording(
        subject="$agent chiede l'accesso da amministratore alla tua organizzazione",
        greeting="Ciao $name,", greeting_without_name="Ciao,",
        paragraphs=(
            "$agent, del tuo partner di supporto IT $partner, chiede l'accesso completo da amministratore alla tua "
            "organizzazione per un'ora. Il motivo:",
            "$reason",
            "Per approvarla o rifiutarla, accedi al Partner Help Desk come amministratore della tua organizzazione e "
            "apri Richieste di accesso. Se nessuno risponde entro un'ora, la richiesta scade e non dà alcun accesso.",
            "Se non ti aspetti questa richiesta, rifiutala.",
        )),
}


def access_request(agent: str, partner: str, reason: str, name: str, locale: str) -> tuple[str, str, str]:
    """The mail asking a customer admin to approve an agent's full admin access: (subject, plain text, HTML)."""
    lang = language(locale)
    words = ACCESS_REQUEST[lang]
    values = {"name": name.strip(), "agent": agent.strip(), "partner": partner.strip(), "reason": reason.strip()}
    # A subject is one short line, whatever an agent's name holds.
    subject = " ".join(Template(words.subject).substitute(values, agent=values["agent"][:100]).split())
    greeting = words.greeting if values["name"] else words.greeting_without_name
    quoted = {i + 1 for i, template in enumerate(words.paragraphs) if template == "$reason"}
    paragraphs = [Template(template).substitute(values) for template in (greeting, *words.paragraphs)]
    text = "\n\n".join(("    " + p.replace("\n", "\n    ") if i in quoted else p)
                       for i, p in enumerate(paragraphs)) + "\n"
    html = _page(lang, subject, [f"<blockquote>{escape(p)}</blockquote>" if i in quoted else f"<p>{escape(p)}</p>"
                                 for i, p in enumerate(paragraphs)])
    return subject, text, html
