// A user's page: status, licences, devices, features, e-mail delivery and suppression, the caller's code check, and
// the changes an admin session on their customer allows.
import { part } from "../api.js";
import { label, t } from "../i18n.js";
import { rememberCustomer } from "../customers_seen.js";
import { useAnswer } from "../loading.js";
import { Card, Chips, Facts, Loading, Refusal, Scrolling, When } from "../parts.js";
import { href } from "../router.js";
import { html, useEffect } from "../view.js";
import { AdminChanges } from "./admin_changes.js";
import { CodeCheck } from "./code_check.js";
import { Suppression } from "./suppression.js";

export function UserPage({ id }) {
  const { data: user, error, loading, reload } = useAnswer(`/users/${part(id)}`);
  useEffect(() => { if (user) rememberCustomer(user.org_id, user.org_name); }, [user]);
  if (error) return html`<${Refusal} error=${error} />`;
  if (!user) return loading ? html`<${Loading} />` : null;
  const features = Object.entries(user.features ?? {});
  return html`<div class="page fitted" data-testid="user-page">
    <section class="card user-panel" data-testid="user-panel" aria-labelledby="user-panel-name">
      <p class="crumbs"><a href=${href(["customers", user.org_id])} data-testid="user-customer">${user.org_name || user.org_id}</a></p>
      <h2 id="user-panel-name" data-testid="user-panel-name">${user.display_name}</h2>
      <${Facts} rows=${[
        [t("user.email"), user.email_address],
        [t("user.status"), html`<span class="chip status-${user.status}" data-testid="user-status">${label("status", user.status)}</span>`],
        [t("user.phones"), (user.phone_numbers ?? []).map((phone) => phone.display).join(", ")],
        [t("user.roles"), html`<${Chips} items=${user.roles ?? []} />`],
        [t("user.licences"), html`<${Chips} items=${user.licenses ?? []} />`],
        [t("user.features"), features.length ? html`<${Chips} items=${features.map(([name, on]) =>
          `${name}: ${on ? t("on") : t("off")}`)} />` : ""],
      ]} />
      <${CodeCheck} userId=${user.id} />
    </section>
    <${AdminChanges} user=${user} done=${reload} />
    <${Devices} devices=${user.devices ?? []} />
    <${Email} user=${user} reload=${reload} />
  </div>`;
}

function Devices({ devices }) {
  return html`<${Card} title=${t("user.devices")} testid="user-devices">
    ${devices.length ? html`<${Scrolling} label=${t("user.devices")}><table class="table"><thead><tr>
      <th>${t("device.product")}</th><th>${t("device.serial")}</th><th>${t("device.mac")}</th><th>${t("device.status")}</th>
      </tr></thead>
      <tbody>${devices.map((device) => html`<tr key=${device.id}>
        <td><a href=${href(["devices", device.id])}>${device.product}</a></td><td>${device.serial}</td>
        <td class="mono">${device.mac}</td><td>${label("status", device.status)}</td></tr>`)}</tbody></table><//>`
      : html`<p class="muted">${t("none")}</p>`}
  <//>`;
}

function Email({ user, reload }) {
  const email = user.email;
  if (!email) return html`<${Card} title=${t("email.title")} testid="user-email"><p class="muted">${t("email.unavailable")}</p><//>`;
  return html`<${Card} title=${t("email.title")} testid="user-email">
    <${Facts} rows=${[
      [t("email.address"), email.address],
      [t("email.suppressed"), email.suppressed
        ? html`<span class="chip danger" data-testid="email-suppressed">${t("email.suppressedSince", {
            reason: email.suppression?.reason ?? "" })}</span> <${When} at=${email.suppression?.since} />`
        : html`<span data-testid="email-suppressed">${t("no")}</span>`],
    ]} />
    ${email.suppressed && html`<${Suppression} userId=${user.id} address=${email.address} done=${reload} />`}
    <h3>${t("email.messages")}</h3>
    ${email.messages?.length ? html`<${Scrolling} label=${t("email.messages")}>
      <table class="table" data-testid="email-messages"><thead><tr>
        <th>${t("email.when")}</th><th>${t("email.kind")}</th><th>${t("email.status")}</th><th>${t("email.reason")}</th></tr></thead>
      <tbody>${email.messages.map((message) => html`<tr>
        <td><${When} at=${message.at} /></td><td>${message.subject || label("mail", message.kind)}</td>
        <td><span class="chip status-${message.status}">${label("status", message.status)}</span></td>
        <td>${message.reason ?? ""}</td></tr>`)}</tbody></table><//>`
      : html`<p class="muted">${t("email.noMessages")}</p>`}
  <//>`;
}
