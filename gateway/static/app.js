// The agent web console: the header, the alert and the page the address names (see console/router.js).
import { clearAlert, useAlert } from "./console/alert.js";
import { LANGUAGES, language, setLanguage, t, useLanguage } from "./console/i18n.js";
import { CustomerPage } from "./console/pages/customer.js";
import { DevicePage, OrderPage } from "./console/pages/device_order.js";
import { ReadOnlyPage } from "./console/pages/read_only.js";
import { SearchPage } from "./console/pages/search.js";
import { SignInPage } from "./console/pages/signin.js";
import { UserPage } from "./console/pages/user.js";
import { href, useRoute } from "./console/router.js";
import { canSearch, loadMe, signOut, useSession } from "./console/session.js";
import { html, render, useEffect } from "./console/view.js";

function page(route, me) {
  const [area, id, sub] = route.parts;
  if (!canSearch(me)) return html`<${NeedsRole} />`;
  if (area === "users" && id) return html`<${UserPage} id=${id} />`;
  if (area === "customers" && id && sub === "read-only") return html`<${ReadOnlyPage} orgId=${id} query=${route.query} />`;
  if (area === "customers" && id) return html`<${CustomerPage} id=${id} />`;
  if (area === "devices" && id) return html`<${DevicePage} id=${id} />`;
  if (area === "orders" && id) return html`<${OrderPage} id=${id} />`;
  return html`<${SearchPage} query=${route.query} />`;
}

function NeedsRole() {
  return html`<div class="notice" data-testid="needs-role">
    <h2>${t("needsRole.title")}</h2><p>${t("needsRole.text")}</p></div>`;
}

function LanguageSwitch() {
  return html`<label class="language">
    <span class="visually-hidden">${t("language")}</span>
    <select data-testid="language" value=${language()} onChange=${(event) => setLanguage(event.currentTarget.value)}>
      ${LANGUAGES.map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
    </select></label>`;
}

function Header({ me }) {
  return html`<header class="app-header">
    <a class="brand" href=${href(["search"])}><span class="brand-mark" aria-hidden="true">HD</span>${t("brand")}</a>
    <div class="who">
      <${LanguageSwitch} />
      ${me && html`<div class="who-text" data-testid="who">
          <span class="who-name" data-testid="user-name" title=${me.email}>${me.name || me.email}</span>
          <span class="who-roles" data-testid="user-roles" aria-label=${t("roles")}>
            ${me.roles.map((role) => html`<span class="chip role">${role}</span> `)}</span>
        </div>
        <button type="button" class="secondary" data-testid="sign-out" onClick=${signOut}>${t("signOut")}</button>`}
    </div></header>`;
}

function App() {
  useLanguage();
  const { me, reason } = useSession();
  const route = useRoute();
  const alert = useAlert();
  useEffect(() => { if (me === undefined) loadMe(); }, [me]);
  useEffect(() => { if (me) clearAlert(); }, [route, me]);
  useEffect(() => { document.title = t("brand"); });
  const signedOut = me === null;
  return html`
    <a class="skip-link" href="#main" onClick=${skip}>${t("skip")}</a>
    <${Header} me=${me} />
    <main id="main" tabindex="-1" class=${signedOut ? "signed-out" : ""}>
      <div class="alert" role="alert" data-testid="error">${alert || (signedOut ? reason : "")}</div>
      ${signedOut ? html`<${SignInPage} />` : me ? page(route, me) : null}
    </main>
    <footer><a href="/docs">${t("apiDocs")}</a></footer>`;
}

function skip(event) {
  event.preventDefault();
  document.getElementById("main").focus();
}

render(html`<${App} />`, document.getElementById("console"));
