// A user's status, licences and features changed under the admin session this tab holds on their customer.
import { adminSession, forgetAdminSession } from "../admin_sessions.js";
import { api, part } from "../api.js";
import { label, t } from "../i18n.js";
import { Card, When } from "../parts.js";
import { holds, useSession } from "../session.js";
import { html, useState } from "../view.js";

const STATUSES = ["active", "pending", "inactive"];

/** Shown to a Help Desk Advanced agent while this tab holds an admin session on the user's customer. */
export function AdminChanges({ user, done }) {
  const { me } = useSession();
  const [session, setSession] = useState(() => adminSession(user.org_id));
  const [ended, setEnded] = useState(false);
  if (!holds(me, "helpdesk_advanced")) return null;
  if (ended) {
    return html`<${Card} title=${t("adminChanges.title")} testid="admin-changes">
      <p class="refusal" role="alert" data-testid="admin-change-error">${t("adminChanges.ended")}</p><//>`;
  }
  if (!session) return null;
  const shown = JSON.stringify([user.status, user.licenses, user.features]);
  return html`<${ChangeForm} key=${shown} user=${user} session=${session} done=${done}
    ended=${() => { forgetAdminSession(user.org_id); setSession(null); setEnded(true); }} />`;
}

function ChangeForm({ user, session, done, ended }) {
  const [status, setStatus] = useState(user.status);
  const [licences, setLicences] = useState(user.licenses ?? []);
  const [features, setFeatures] = useState(user.features ?? {});
  const [refusal, setRefusal] = useState("");
  const [busy, setBusy] = useState(false);
  const skus = [...new Set([...(session.licences ?? []), ...(user.licenses ?? [])])];

  async function save(event) {
    event.preventDefault();
    setBusy(true);
    try {
      await api(`/admin/${part(user.org_id)}/users/${part(user.id)}`, {
        method: "PATCH", headers: { "X-Admin-Session": session.token },
        body: { status, licenses: licences, features },
      });
      setRefusal("");
      done();
    } catch (error) {
      setBusy(false);
      if (error.status === 403 || error.code === "invalid_admin_session") ended();
      else setRefusal(error.message);
      return;
    }
    setBusy(false);
  }
  function toggle(sku, on) { setLicences(on ? [...licences, sku] : licences.filter((held) => held !== sku)); }

  return html`<${Card} title=${t("adminChanges.title")} testid="admin-changes">
    <p class="hint" data-testid="admin-changes-until">${t("adminChanges.explain", { name: session.name })}
      ${" "}<${When} at=${session.expires_at} />.</p>
    <form class="admin-change" data-testid="admin-change" onSubmit=${save}>
      <div class="field"><label for="admin-change-status">${t("user.status")}</label>
        <select id="admin-change-status" data-testid="admin-change-status" value=${status}
                onChange=${(event) => setStatus(event.currentTarget.value)}>
          ${STATUSES.map((choice) => html`<option value=${choice}>${label("status", choice)}</option>`)}</select></div>
      <fieldset class="choices"><legend>${t("user.licences")}</legend>
        ${skus.length ? skus.map((sku) => html`<label class="choice"><input type="checkbox" data-testid="admin-change-licence"
            value=${sku} checked=${licences.includes(sku)} onChange=${(event) => toggle(sku, event.currentTarget.checked)} />
          <span class="mono">${sku}</span></label>`) : html`<p class="muted">${t("none")}</p>`}
      </fieldset>
      <fieldset class="choices"><legend>${t("user.features")}</legend>
        ${Object.keys(features).length ? Object.entries(features).map(([name, on]) => html`<label class="choice">
          <input type="checkbox" data-testid="admin-change-feature" value=${name} checked=${on}
                 onChange=${(event) => setFeatures({ ...features, [name]: event.currentTarget.checked })} />
          ${name}</label>`) : html`<p class="muted">${t("none")}</p>`}
      </fieldset>
      <div class="row"><button type="submit" data-testid="admin-change-submit" disabled=${busy}>
        ${t("adminChanges.save")}</button></div>
    </form>
    ${refusal && html`<p class="refusal" role="alert" data-testid="admin-change-error">${refusal}</p>`}
  <//>`;
}
