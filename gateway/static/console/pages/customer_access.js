// Opening a customer's org as a read-only admin (only while the customer grants it), asking for full admin access and,
// once the customer approves, opening an admin session on it.
import { adminSession, keepAdminSession } from "../admin_sessions.js";
import { api, part } from "../api.js";
import { label, t } from "../i18n.js";
import { Card, When } from "../parts.js";
import { keepSession } from "../read_only_sessions.js";
import { go } from "../router.js";
import { holds, useSession } from "../session.js";
import { html, useState } from "../view.js";

function ReasonForm({ testid, action, disabled, submit }) {
  const [reason, setReason] = useState("");
  const [refusal, setRefusal] = useState("");
  const [busy, setBusy] = useState(false);
  async function send(event) {
    event.preventDefault();
    if (!reason.trim()) { setRefusal(t("access.reasonNeeded")); return; }
    setBusy(true);
    try { await submit(reason.trim()); setRefusal(""); } catch (error) { setRefusal(error.message); }
    setBusy(false);
  }
  return html`<form class="reason" data-testid=${testid} onSubmit=${send}>
    <label for=${`${testid}-reason`}>${t("access.reason")}</label>
    <div class="row">
      <input id=${`${testid}-reason`} type="text" maxlength="1000" data-testid=${`${testid}-reason`} disabled=${disabled}
             placeholder=${t("access.reasonExample")} value=${reason} onInput=${(event) => setReason(event.currentTarget.value)} />
      <button type="submit" data-testid=${`${testid}-submit`} disabled=${disabled || busy}>${action}</button>
    </div>
    ${refusal && html`<p class="refusal" role="alert" data-testid=${`${testid}-error`}>${refusal}</p>`}
  </form>`;
}

export function ReadOnlyAccess({ customer }) {
  const access = customer.read_only_access ?? {};
  async function open(reason) {
    const session = await api(`/customers/${part(customer.id)}/read-only-sessions`, { method: "POST", body: { reason } });
    keepSession(customer.id, { ...session, name: customer.name, reason });
    go(["customers", customer.id, "read-only"]);
  }
  return html`<${Card} title=${t("access.readOnlyTitle")} testid="read-only-access">
    <p data-testid="read-only-standing">${access.granted
      ? html`${t("access.granted")} ${access.expires_at ? html`${t("access.until")} <${When} at=${access.expires_at} />` : t("access.untilRevoked")}`
      : t(`access.whyNot.${access.why_not ?? "never_granted"}`)}</p>
    <${ReasonForm} testid="read-only-open" action=${t("access.open")} disabled=${!access.granted} submit=${open} />
  <//>`;
}

export function FullAdminRequest({ customer, done }) {
  const { me } = useSession();
  if (!holds(me, "helpdesk_advanced")) return null;
  const asked = customer.read_only_access?.full_admin_request;
  async function ask(reason) {
    await api(`/customers/${part(customer.id)}/access-requests`, { method: "POST", body: { reason } });
    done();
  }
  return html`<${Card} title=${t("admin.title")} testid="full-admin">
    <p class="hint">${t("admin.explain")}</p>
    ${asked ? html`<p data-testid="full-admin-state">${t("admin.state", { status: label("request", asked.status) })}
        ${" "}<${When} at=${asked.expires_at} /> · ${asked.reason}</p>`
      : html`<${ReasonForm} testid="full-admin-request" action=${t("admin.ask")} submit=${ask} />`}
    ${asked?.status === "approved" && html`<${AdminSessionOpener} customer=${customer} approval=${asked} />`}
  <//>`;
}

/** Opens an admin session under the approved request, kept for this tab: a user's page then offers its changes. */
function AdminSessionOpener({ customer, approval }) {
  // A session kept from an earlier approval ends with it: only one under this approval (ending when it does) counts.
  const [session, setSession] = useState(() => {
    const kept = adminSession(customer.id);
    return kept && sameTime(kept.expires_at, approval.expires_at) ? kept : null;
  });
  const [refusal, setRefusal] = useState("");
  const [busy, setBusy] = useState(false);
  async function open() {
    setBusy(true);
    try {
      const opened = await api(`/customers/${part(customer.id)}/admin-sessions`, { method: "POST" });
      const kept = { ...opened, name: customer.name, licences: (customer.licenses ?? []).map((licence) => licence.sku) };
      keepAdminSession(customer.id, kept);
      setSession(kept);
      setRefusal("");
    } catch (error) { setRefusal(error.message); }
    setBusy(false);
  }
  return html`<div class="admin-session">
    ${session ? html`<p data-testid="admin-session-open">${t("admin.sessionOpen")} <${When} at=${session.expires_at} />.
        ${" "}${t("admin.sessionHowTo")}</p>`
      : html`<button type="button" data-testid="admin-session-start" disabled=${busy} onClick=${open}>
          ${t("admin.openSession")}</button>`}
    ${refusal && html`<p class="refusal" role="alert" data-testid="admin-session-error">${refusal}</p>`}
  </div>`;
}

function sameTime(one, other) { return new Date(one).getTime() === new Date(other).getTime(); }
