// The sign-in page: an e-mail address (the demo login of the embedded mode) and the demo logins to pick from.
import { report } from "../alert.js";
import { t } from "../i18n.js";
import { signIn } from "../session.js";
import { html, useEffect, useRef, useState } from "../view.js";

const DEMO_LOGINS = [
  ["agent@northwind.example", "demo.agent"],
  ["advanced@northwind.example", "demo.advanced"],
  ["admin@northwind.example", "demo.partnerAdmin"],
  ["it@acme.example", "demo.customerAdmin"],
  ["operator@helpdesk.local", "demo.operator"],
  ["agent@contoso.example", "demo.otherPartner"],
];

export function SignInPage() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  useEffect(() => box.current?.focus(), []);

  async function submit(address) {
    const trimmed = address.trim();
    if (!trimmed) { report(t("signin.enterEmail")); box.current?.focus(); return; }
    setBusy(true);
    report("");
    try {
      await signIn(trimmed);
    } catch (error) {
      report(error.message);
      setBusy(false);
      box.current?.focus();
    }
  }

  return html`<section class="card signin" data-testid="signin-view" aria-labelledby="signin-title">
    <h2 id="signin-title">${t("signin.title")}</h2>
    <p class="lead">${t("signin.lead")}</p>
    <form data-testid="login-form" novalidate onSubmit=${(event) => { event.preventDefault(); submit(email); }}>
      <label for="login-email">${t("signin.email")}</label>
      <div class="row">
        <input id="login-email" ref=${box} type="email" name="email" autocomplete="username" required maxlength="320"
               spellcheck="false" autocapitalize="off" placeholder="you@example.com" data-testid="login-email"
               value=${email} onInput=${(event) => setEmail(event.currentTarget.value)} />
        <button type="submit" data-testid="login-submit" disabled=${busy}>${t("signin.submit")}</button>
      </div>
    </form>
    <div class="demo">
      <h3 id="demo-title">${t("signin.demo")}</h3>
      <ul data-testid="demo-logins" aria-labelledby="demo-title">
        ${DEMO_LOGINS.map(([address, role]) => html`<li>
          <button type="button" class="link" data-testid="demo-login" data-email=${address}
                  onClick=${() => { setEmail(address); submit(address); }}>${address}</button>
          <span class="role">${t(role)}</span></li>`)}
      </ul>
    </div>
  </section>`;
}
