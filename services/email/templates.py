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
