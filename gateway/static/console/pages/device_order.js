// A device's page and an order's page: what the caller's hardware or purchase is, and whose.
import { part } from "../api.js";
import { label, t } from "../i18n.js";
import { useAnswer } from "../loading.js";
import { Card, Facts, Loading, Refusal, When } from "../parts.js";
import { href } from "../router.js";
import { html } from "../view.js";

function Customer({ item }) {
  return html`<a href=${href(["customers", item.org_id])}>${item.org_name || item.org_id}</a>`;
}

export function DevicePage({ id }) {
  const { data: device, error, loading } = useAnswer(`/devices/${part(id)}`);
  if (error) return html`<${Refusal} error=${error} />`;
  if (!device) return loading ? html`<${Loading} />` : null;
  return html`<${Card} title=${device.product} testid="device-page"><${Facts} rows=${[
    [t("device.serial"), device.serial], [t("device.mac"), html`<span class="mono">${device.mac}</span>`],
    [t("device.sip"), device.sip_address],
    [t("device.phones"), (device.phone_numbers ?? []).map((phone) => phone.display).join(", ")],
    [t("device.status"), label("status", device.status)],
    [t("device.owner"), device.owner
      ? html`<a href=${href(["users", device.owner.user_id])}>${device.owner.name}</a> ${device.owner.email}`
      : device.owner_place],
    [t("device.customer"), html`<${Customer} item=${device} />`],
  ]} /><//>`;
}

export function OrderPage({ id }) {
  const { data: order, error, loading } = useAnswer(`/orders/${part(id)}`);
  if (error) return html`<${Refusal} error=${error} />`;
  if (!order) return loading ? html`<${Loading} />` : null;
  return html`<${Card} title=${t("order.title", { number: order.number })} testid="order-page"><${Facts} rows=${[
    [t("order.placed"), html`<${When} at=${order.placed_at} />`], [t("order.status"), label("status", order.status)],
    [t("order.subscription"), order.subscription_id], [t("device.customer"), html`<${Customer} item=${order} />`],
  ]} /><//>`;
}
