// A customer admin grants their managing partner read-only access, until a time or until revoked, or revokes it after
// confirming.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { useAnswer } from "../loading.js";
import { Card, Facts, Loading, Refusal, When } from "../parts.js";
import { html, useState } from "../view.js";

const GRANT = "/customer/access-grant";

export function AccessGrant() {
  const { data: grant, error, loading, reload } = useAnswer(GRANT);
  const [ends, setEnds] = useState("");
  const [refusal, setRefusal] = useState("");
  const [busy, setBusy] = useState(false);
  const [revoking, setRevoking] = useState(false);

  async function change(method, body) {
    setBusy(true);
    try { await api(GRANT, { method, body }); setRefusal(""); reload(); } catch (failed) { setRefusal(failed.message); }
    setRevoking(false);
    setBusy(false);
  }
  function give(event) {
    event.preventDefault();
    const until = ends ? new Date(ends) : null;  // the browser's local time, as the person typed it
    if (until && Number.isNaN(until.getTime())) { setRefusal(t("grant.badTime")); return; }
    change("PUT", { expires_at: until ? until.toISOString() : null });
  }

  return html`<${Card} title=${t("grant.title")} testid="access-grant">
    <p class="hint">${t("grant.explain")}</p>
    <${Refusal} error=${error} />
    ${grant ? html`<${Facts} rows=${[
        [t("grant.partner"), html`<span class="mono">${grant.partner_id}</span>`],
        [t("grant.standing"), html`<span data-testid="grant-standing">${grant.granted
          ? html`${t("grant.granted")} ${grant.expires_at ? html`${t("grant.until")} <${When} at=${grant.expires_at} />`
            : t("grant.untilRevoked")}` : t("grant.notGranted")}</span>`],
      ]} />
      <form class="grant" data-testid="grant-form" onSubmit=${give}>
        <label for="grant-ends">${t("grant.ends")}</label>
        <div class="row wrap">
          <input id="grant-ends" type="datetime-local" data-testid="grant-ends" value=${ends}
                 onInput=${(event) => setEnds(event.currentTarget.value)} />
          <button type="submit" data-testid="grant-give" disabled=${busy}>
            ${t(grant.granted ? "grant.change" : "grant.give")}</button>
          ${grant.granted && html`<button type="button" class="secondary" data-testid="grant-revoke" disabled=${busy}
            onClick=${() => setRevoking(true)}>${t("grant.revoke")}</button>`}
        </div>
      </form>
      ${revoking && grant.granted && html`<div class="confirm" role="group" aria-labelledby="grant-revoke-question"
          data-testid="grant-revoke-confirm">
        <p id="grant-revoke-question">${t("grant.revokeQuestion")}</p>
        <div class="row">
          <button type="button" data-testid="grant-revoke-confirm-revoke" disabled=${busy}
                  onClick=${() => change("DELETE")}>${t("grant.revoke")}</button>
          <button type="button" class="secondary" data-testid="grant-revoke-cancel"
                  onClick=${() => setRevoking(false)}>${t("cancel")}</button>
        </div></div>`}` : loading && html`<${Loading} />`}
    ${refusal && html`<p class="refusal" role="alert" data-testid="grant-error">${refusal}</p>`}
  <//>`;
}
