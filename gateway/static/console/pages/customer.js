// A customer's page: created, domains, sites, phone numbers, licences, subscriptions, orders, admins, search in it, access to it.
import { part } from "../api.js";
import { label, t } from "../i18n.js";
import { rememberCustomer } from "../customers_seen.js";
import { useAnswer } from "../loading.js";
import { Card, Chips, Facts, Loading, Refusal, Scrolling, When } from "../parts.js";
import { go, href } from "../router.js";
import { html, useEffect, useState } from "../view.js";
import { FullAdminRequest, ReadOnlyAccess } from "./customer_access.js";

export function CustomerPage({ id }) {
  const { data: customer, error, loading, reload } = useAnswer(`/customers/${part(id)}`);
  useEffect(() => { if (customer) rememberCustomer(customer.id, customer.name); }, [customer]);
  if (error) return html`<${Refusal} error=${error} />`;
  if (!customer) return loading ? html`<${Loading} />` : null;
  return html`<div class="page fitted" data-testid="customer-page">
    <section class="card" aria-labelledby="customer-name">
      <h2 id="customer-name" data-testid="customer-name">${customer.name}</h2>
      <${Facts} rows=${[
        [t("customer.id"), html`<span class="mono">${customer.id}</span>`],
        [t("customer.created"), html`<${When} at=${customer.created_at} />`],
        [t("customer.domains"), html`<${Chips} items=${(customer.domains ?? []).map((domain) =>
          `${domain.name} (${label("domain", domain.status)})`)} />`],
        [t("customer.sites"), html`<${Chips} items=${customer.sites ?? []} />`],
        [t("customer.phones"), (customer.phone_numbers ?? []).map((phone) => phone.display).join(", ")],
        [t("customer.admins"), (customer.admins ?? []).map((admin) => html`<span class="admin" data-testid="customer-admin">
          <a href=${href(["users", admin.user_id])}>${admin.name}</a> ${admin.email}</span> `)],
      ]} />
      <${SearchInCustomer} customer=${customer} />
    </section>
    <${ReadOnlyAccess} customer=${customer} />
    <${FullAdminRequest} customer=${customer} done=${reload} />
    <${Card} title=${t("customer.licences")} testid="customer-licences">
      ${customer.licenses?.length ? html`<${Scrolling} label=${t("customer.licences")}><table class="table"><thead><tr>
        <th>${t("licence.name")}</th><th>${t("licence.sku")}</th><th>${t("licence.used")}</th></tr></thead>
        <tbody>${customer.licenses.map((licence) => html`<tr>
        <td>${licence.name}</td><td class="mono">${licence.sku}</td><td>${licence.consumed} / ${licence.total}</td></tr>`)}
        </tbody></table><//>` : html`<p class="muted">${t("none")}</p>`}<//>
    <${Card} title=${t("customer.subscriptions")} testid="customer-subscriptions">
      ${customer.subscriptions?.length ? html`<${Scrolling} label=${t("customer.subscriptions")}><table class="table"><thead><tr>
        <th>${t("subscription.offer")}</th><th>${t("subscription.quantity")}</th><th>${t("subscription.status")}</th>
        <th>${t("subscription.end")}</th></tr></thead>
        <tbody>${customer.subscriptions.map((subscription) => html`<tr><td>${subscription.offer}</td>
        <td>${subscription.quantity}</td><td>${label("status", subscription.status)}</td><td><${When} at=${subscription.end} /></td>
        </tr>`)}</tbody></table><//>` : html`<p class="muted">${t("none")}</p>`}<//>
    <${Card} title=${t("customer.orders")} testid="customer-orders">
      ${customer.orders?.length ? html`<${Scrolling} label=${t("customer.orders")}><table class="table"><thead><tr>
        <th>${t("order.number")}</th><th>${t("order.placed")}</th><th>${t("order.status")}</th></tr></thead>
        <tbody>${customer.orders.map((order) => html`<tr>
        <td><a href=${href(["orders", order.number])}>${order.number}</a></td><td><${When} at=${order.placed_at} /></td>
        <td>${label("status", order.status)}</td></tr>`)}</tbody></table><//>` : html`<p class="muted">${t("none")}</p>`}<//>
  </div>`;
}

function SearchInCustomer({ customer }) {
  const [text, setText] = useState("");
  return html`<form class="row search-in" role="search" data-testid="search-in-customer"
      onSubmit=${(event) => { event.preventDefault(); if (text.trim()) go(["search"], { q: text.trim(), org: customer.id }); }}>
    <label class="visually-hidden" for="search-in-customer">${t("customer.searchIn", { name: customer.name })}</label>
    <input id="search-in-customer" type="search" maxlength="256" autocomplete="off" data-testid="search-in-customer-input"
           placeholder=${t("customer.searchIn", { name: customer.name })} value=${text}
           onInput=${(event) => setText(event.currentTarget.value)} />
    <button type="submit" class="secondary">${t("search.label")}</button>
  </form>`;
}
