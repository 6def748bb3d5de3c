// Taking a suppressed address off the suppression list, once the agent has confirmed it.
import { api, part } from "../api.js";
import { t } from "../i18n.js";
import { html, useState } from "../view.js";

export function Suppression({ userId, address, done }) {
  const [asking, setAsking] = useState(false);
  const [refusal, setRefusal] = useState("");

  async function remove() {
    try {
      await api(`/users/${part(userId)}/suppression`, { method: "DELETE" });
      setAsking(false);
      done();
    } catch (error) { setRefusal(error.message); }
  }

  if (!asking) {
    return html`<button type="button" class="secondary" data-testid="suppression-remove"
      onClick=${() => setAsking(true)}>${t("suppression.remove")}</button>`;
  }
  return html`<div class="confirm" role="group" aria-labelledby="suppression-question" data-testid="suppression-confirm">
    <p id="suppression-question">${t("suppression.question", { address })}</p>
    <div class="row">
      <button type="button" data-testid="suppression-confirm-remove" onClick=${remove}>${t("suppression.confirm")}</button>
      <button type="button" class="secondary" data-testid="suppression-cancel"
              onClick=${() => setAsking(false)}>${t("cancel")}</button>
    </div>
    ${refusal && html`<p class="refusal" role="alert">${refusal}</p>`}
  </div>`;
}
