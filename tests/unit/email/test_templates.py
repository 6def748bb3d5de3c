"""The verification code's mail: in the user's language (English when the service does not write theirs), saying
who asked for the code and why, to whom to read it, when it expires, and what to do if they did not call."""

from __future__ import annotations

import pytest

from services.email.templates import verification_code

pytestmark = pytest.mark.unit


class TestVerificationCode:
    def test_the_english_mail_says_who_asked_to_whom_to_read_it_and_when_it_expires(self) -> None:
        subject, text, html = verification_code("731904", "Jane Doe", "en", 10)

        assert subject == "Your verification code"
        assert text.startswith("Hello Jane Doe,\n\n")
        assert "An agent of your IT support asked for this code to confirm who you are on the phone" in text
        assert "\n    731904\n" in text
        assert "Read it only to the agent who is on the line with you. It expires in 10 minutes." in text
        assert "If you did not call your IT support, ignore this message." in text
        assert '<html lang="en">' in html
        assert "<strong>731904</strong>" in html

    def test_the_italian_mail_says_the_same_in_italian(self) -> None:
        subject, text, html = verification_code("731904", "Mario Rossi", "it", 10)

        assert subject == "Il tuo codice di verifica"
        assert text.startswith("Ciao Mario Rossi,\n\n")
        assert "Un operatore del tuo supporto IT ha chiesto questo codice per confermare la tua identità" in text
        assert "Leggilo solo all'operatore che è in linea con te. Scade tra 10 minuti." in text
        assert "Se non hai chiamato il tuo supporto IT, ignora questo messaggio." in text
        assert '<html lang="it">' in html
        assert "Leggilo solo all&#x27;operatore che è in linea con te." in html

    @pytest.mark.parametrize("locale", ["", "fr", "de-DE", "unknown"])
    def test_a_language_the_service_does_not_write_gets_english(self, locale: str) -> None:
        assert verification_code("731904", "Jane", locale, 10)[0] == "Your verification code"

    @pytest.mark.parametrize(("locale", "subject"), [("it-IT", "Il tuo codice di verifica"),
                                                     ("IT", "Il tuo codice di verifica"),
                                                     ("en_GB", "Your verification code")])
    def test_a_regional_locale_gets_its_language(self, locale: str, subject: str) -> None:
        assert verification_code("731904", "Jane", locale, 10)[0] == subject

    def test_a_name_is_html_escaped_and_never_markup(self) -> None:
        _, text, html = verification_code("731904", '<img src=x onerror="steal()"> & Co', "en", 10)

        assert "&lt;img src=x onerror=&quot;steal()&quot;&gt; &amp; Co" in html
        assert "<img" not in html
        assert 'Hello <img src=x onerror="steal()"> & Co,' in text  # plain text is not markup

    def test_without_a_name_the_greeting_names_nobody(self) -> None:
        assert verification_code("731904", "  ", "en", 10)[1].startswith("Hello,\n\n")
        assert verification_code("731904", "", "it", 10)[1].startswith("Ciao,\n\n")

    def test_one_minute_is_singular(self) -> None:
        assert "It expires in 1 minute." in verification_code("731904", "Jane", "en", 1)[1]
        assert "Scade tra 1 minuto." in verification_code("731904", "Mario", "it", 1)[1]
