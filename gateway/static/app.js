// The web console: the header, the alert and the page the address names (see console/router.js and console/areas.js).
import { clearAlert, useAlert } from "./console/alert.js";
import { areaOf, areasOf, homeOf, mayOpen } from "./console/areas.js";
import { LANGUAGES, language, setLanguage, t, useLanguage } from "./console/i18n.js";
import { CustomerPage } from "./console/pages/customer.js";
import { CustomerAdminPage } from "./console/pages/customer_admin.js";
import { DevicePage, OrderPage } from "./console/pages/device_order.js";
import { OperatorPage } from "./console/pages/operator.js";
import { PartnerAdminPage } from "./console/pages/partner_admin.js";
import { ReadOnlyPage } from "./console/pages/read_only.js";
import { SearchPage } from "./console/pages/search.js";
import { SignInPage } from "./console/pages/signin.js";
import { UserPage } from "./console/pages/user.js";
import { href, redirect, useRoute } from "./console/router.js";
import { loadMe, signOut, useSession } from "./console/session.js";
import { html, render, useEffect } from "./console/view.js";

const AREA_PAGES = { "customer-admin": CustomerAdminPage, "partner-admin": PartnerAdminPage, operator: OperatorPage };

function page(route, me) {
  const [area, id, sub] = route.parts;
  const chosen = areaOf(route, me);
  if (!mayOpen(me, chosen)) return html`<${NeedsRole} area=${chosen} />`;
  if (chosen in AREA_PAGES) return html`<${AREA_PAGES[chosen]} />`;
  if (area === "users" && id) return html`<${UserPage} id=${id} />`;
  if (area === "customers" && id && sub === "read-only") return html`<${ReadOnlyPage} orgId=${id} query=${route.query} />`;
  if (area === "customers" && id) return html`<${CustomerPage} id=${id} />`;
  if (area === "devices" && id) return html`<${DevicePage} id=${id} />`;
  if (area === "orders" && id) return html`<${OrderPage} id=${id} />`;
  return html`<${SearchPage} query=${route.query} />`;
}

function NeedsRole({ area }) {
  if (area !== "search") {
    return html`<div class="notice" data-testid="needs-role"><h2>${t("needsRole.otherTitle")}</h2>
      <p>${t("needsRole.otherText", { page: t(`nav.${area}`) })}</p></div>`;
  }
  return html`<div class="notice" data-testid="needs-role">
    <h2>${t("needsRole.title")}</h2><p>${t("needsRole.text")}</p></div>`;
}

function Areas({ me, route }) {
  const areas = areasOf(me);
  const current = areaOf(route, me);
  if (!areas.length) return null;
  return html`<nav class="areas" aria-label=${t("nav.label")} data-testid="areas">${areas.map(({ area }) => html`
    <a href=${href([area])} data-testid=${`nav-${area}`} aria-current=${area === current ? "page" : undefined}>
      ${t(`nav.${area}`)}</a>`)}</nav>`;
}

function LanguageSwitch() {
  return html`<label class="language">
    <span class="visually-hidden">${t("language")}</span>
    <select data-testid="language" value=${language()} onChange=${(event) => setLanguage(event.currentTarget.value)}>
      ${LANGUAGES.map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
    </select></label>`;
}

function Header({ me, route }) {
  return html`<header class="app-header">
    <a class="brand" href=${href([me ? homeOf(me) : "search"])}><span class="brand-mark" aria-hidden="true">HD</span>${t("brand")}</a>
    ${me && html`<${Areas} me=${me} route=${route} />`}
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
  // Once signed in, an address the person cannot open (another's last page in this tab) gives way to their own.
  useEffect(() => { if (me && !mayOpen(me, areaOf(route, me)) && areasOf(me).length) redirect([homeOf(me)]); }, [me]);
  useEffect(() => { document.title = t("brand"); });
  const signedOut = me === null;
  return html`
    <a class="skip-link" href="#main" onClick=${skip}>${t("skip")}</a>
    <${Header} me=${me} route=${route} />
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
