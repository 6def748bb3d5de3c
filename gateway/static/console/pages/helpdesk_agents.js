// A partner admin's Help Desk agents: assign Basic or Advanced to one of the partner's people, change it, revoke it.
import { api, part } from "../api.js";
import { label, t } from "../i18n.js";
import { useAnswer } from "../loading.js";
import { Card, Loading, Refusal, Scrolling } from "../parts.js";
import { html, useState } from "../view.js";

const AGENTS = "/partner/helpdesk-agents";
const LEVELS = ["basic", "advanced"];

export function HelpdeskAgents() {
  const { data: agents, error, loading, reload } = useAnswer(AGENTS);
  const [refusal, setRefusal] = useState("");
  const [revoking, setRevoking] = useState(null);

  async function change(userId, method, body) {
    try {
      await api(`${AGENTS}/${part(userId)}`, { method, body });
      setRefusal("");
      setRevoking(null);
      reload();
      return true;
    } catch (failed) { setRefusal(failed.message); return false; }
  }

  return html`<${Card} title=${t("agents.title")} testid="helpdesk-agents">
    <p class="hint">${t("agents.explain")}</p>
    <${Refusal} error=${error} />
    ${agents ? agents.length ? html`<${Scrolling} label=${t("agents.title")}>
      <table class="table"><thead><tr><th>${t("agents.name")}</th><th>${t("agents.email")}</th>
        <th>${t("agents.level")}</th><th><span class="visually-hidden">${t("agents.change")}</span></th></tr></thead>
      <tbody>${agents.map((agent) => html`<tr key=${agent.user_id} data-testid="helpdesk-agent" data-id=${agent.user_id}>
        <td>${agent.name}</td><td>${agent.email}</td>
        <td><span class="chip" data-testid="helpdesk-agent-level">${label("level", agent.level)}</span></td>
        <td class="actions">
          <button type="button" class="secondary" data-testid="helpdesk-agent-switch"
                  onClick=${() => change(agent.user_id, "PUT", { level: agent.level === "basic" ? "advanced" : "basic" })}>
            ${t(agent.level === "basic" ? "agents.makeAdvanced" : "agents.makeBasic")}</button>
          <button type="button" class="secondary" data-testid="helpdesk-agent-revoke"
                  onClick=${() => setRevoking(agent)}>${t("agents.revoke")}</button></td>
      </tr>`)}</tbody></table><//>` : html`<p class="muted">${t("agents.none")}</p>` : loading && html`<${Loading} />`}
    ${revoking && html`<div class="confirm" role="group" aria-labelledby="revoke-question" data-testid="revoke-confirm">
      <p id="revoke-question">${t("agents.revokeQuestion", { name: revoking.name, email: revoking.email })}</p>
      <div class="row">
        <button type="button" data-testid="revoke-confirm-revoke" onClick=${() => change(revoking.user_id, "DELETE")}>
          ${t("agents.revoke")}</button>
        <button type="button" class="secondary" data-testid="revoke-cancel" onClick=${() => setRevoking(null)}>
          ${t("cancel")}</button>
      </div></div>`}
    ${refusal && html`<p class="refusal" role="alert" data-testid="agents-error">${refusal}</p>`}
    <${AssignForm} assign=${(userId, level) => change(userId, "PUT", { level })} />
  <//>`;
}

function AssignForm({ assign }) {
  const [userId, setUserId] = useState("");
  const [level, setLevel] = useState("basic");
  async function send(event) {
    event.preventDefault();
    if (userId.trim() && await assign(userId.trim(), level)) setUserId("");
  }
  return html`<form class="assign" data-testid="agent-assign" onSubmit=${send}>
    <h3>${t("agents.assign")}</h3>
    <div class="row wrap">
      <div class="field"><label for="assign-user">${t("agents.userId")}</label>
        <input id="assign-user" type="text" maxlength="256" autocomplete="off" data-testid="agent-assign-user"
               placeholder="u-…" value=${userId} onInput=${(event) => setUserId(event.currentTarget.value)} /></div>
      <div class="field"><label for="assign-level">${t("agents.level")}</label>
        <select id="assign-level" data-testid="agent-assign-level" value=${level}
                onChange=${(event) => setLevel(event.currentTarget.value)}>
          ${LEVELS.map((choice) => html`<option value=${choice}>${label("level", choice)}</option>`)}</select></div>
      <button type="submit" data-testid="agent-assign-submit">${t("agents.assignSubmit")}</button>
    </div>
  </form>`;
}
