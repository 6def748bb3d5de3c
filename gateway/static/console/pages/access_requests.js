// A customer admin answers partner agents' requests for full admin access: approve, deny, or end an approved hour.
import { api, part } from "../api.js";
import { label, t } from "../i18n.js";
import { useAnswer } from "../loading.js";
import { Card, Loading, Refusal, Scrolling, When } from "../parts.js";
import { html, useState } from "../view.js";

const REQUESTS = "/customer/access-requests";

export function AccessRequests() {
  const { data: requests, error, loading, reload } = useAnswer(REQUESTS);
  const [refusal, setRefusal] = useState("");

  async function answer(request, method, verb = "") {
    try {
      await api(`${REQUESTS}/${part(request.request_id)}${verb}`, { method });
      setRefusal("");
    } catch (failed) { setRefusal(failed.message); }
    reload();
  }

  return html`<${Card} title=${t("requests.title")} testid="access-requests">
    <p class="hint">${t("requests.explain")}</p>
    <${Refusal} error=${error} />
    ${refusal && html`<p class="refusal" role="alert" data-testid="requests-error">${refusal}</p>`}
    ${requests ? requests.length ? html`<${Scrolling} label=${t("requests.title")}>
      <table class="table"><thead><tr><th>${t("requests.agent")}</th>
        <th>${t("requests.reason")}</th><th>${t("requests.status")}</th><th>${t("requests.until")}</th>
        <th><span class="visually-hidden">${t("requests.answer")}</span></th></tr></thead>
      <tbody>${requests.map((request) => html`<tr key=${request.request_id} data-testid="access-request"
          data-id=${request.request_id}>
        <td>${request.agent}<br /><span class="muted">${request.partner}</span></td><td>${request.reason}</td>
        <td><span class="chip status-${request.status}" data-testid="access-request-status">
          ${label("requestStatus", request.status)}</span></td>
        <td><${When} at=${request.expires_at} /></td>
        <td class="actions">${request.status === "pending" && html`
          <button type="button" data-testid="access-request-approve" onClick=${() => answer(request, "POST", "/approve")}>
            ${t("requests.approve")}</button>
          <button type="button" class="secondary" data-testid="access-request-deny"
                  onClick=${() => answer(request, "POST", "/deny")}>${t("requests.deny")}</button>`}
          ${request.status === "approved" && html`<button type="button" class="secondary" data-testid="access-request-end"
            onClick=${() => answer(request, "DELETE")}>${t("requests.end")}</button>`}</td>
      </tr>`)}</tbody></table><//>` : html`<p class="muted" data-testid="requests-none">${t("requests.none")}</p>`
      : loading && html`<${Loading} />`}
  <//>`;
}
