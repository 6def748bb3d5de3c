// Confirming a caller is the user: send a code to their mailbox, check the code they read back.
import { api, part } from "../api.js";
import { formatClock, t } from "../i18n.js";
import { html, useState } from "../view.js";

const OUTCOMES = {
  code_mismatch: (details) => t("code.mismatch", { n: details.attempts_left }),
  code_locked: () => t("code.locked"),
  code_expired: () => t("code.expired"),
  code_used: () => t("code.used"),
};

export function CodeCheck({ userId }) {
  const [codeId, setCodeId] = useState(null);
  const [code, setCode] = useState("");
  const [outcome, setOutcome] = useState("");
  const base = `/users/${part(userId)}/verification-codes`;

  async function send() {
    try {
      const sent = await api(base, { method: "POST" });
      setCodeId(sent.code_id);
      setOutcome(t("code.sent", { to: sent.sent_to, at: formatClock(sent.expires_at) }));
    } catch (error) { setOutcome(error.message); }
  }

  async function check(event) {
    event.preventDefault();
    if (!codeId) return;
    try {
      await api(`${base}/${part(codeId)}/check`, { method: "POST", body: { code } });
      setOutcome(t("code.verified"));
    } catch (error) {
      const explain = OUTCOMES[error.code];
      setOutcome(explain ? explain(error.details) : error.message);
    }
  }

  return html`<div class="code" data-testid="code-panel">
    <h3>${t("code.title")}</h3>
    <p class="hint" data-testid="code-proof">${t("code.proof")}</p>
    <div class="row wrap">
      <button type="button" data-testid="code-send" onClick=${send}>${t("code.send")}</button>
      <form class="code-check row" data-testid="code-form" onSubmit=${check}>
        <input type="text" inputmode="numeric" autocomplete="off" maxlength="32" aria-label=${t("code.input")}
               placeholder=${t("code.input")} data-testid="code-input" value=${code}
               onInput=${(event) => setCode(event.currentTarget.value)} />
        <button type="submit" class="secondary" data-testid="code-check" disabled=${!codeId}>${t("code.check")}</button>
      </form>
    </div>
    <p data-testid="code-outcome" role="status" aria-live="polite">${outcome}</p>
  </div>`;
}
