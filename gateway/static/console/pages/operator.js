// The operator's page: import an NDJSON file of records, with the upload's progress, then what was accepted and refused.
import { t } from "../i18n.js";
import { Card, Scrolling } from "../parts.js";
import { upload } from "../upload.js";
import { html, useState } from "../view.js";

export function OperatorPage() {
  const [file, setFile] = useState(null);
  const [sent, setSent] = useState(null);  // the share of the file uploaded while an import is under way
  const [outcome, setOutcome] = useState(null);
  const [refusal, setRefusal] = useState("");

  async function send(event) {
    event.preventDefault();
    if (!file) { setRefusal(t("import.chooseFile")); return; }
    setOutcome(null);
    setRefusal("");
    setSent(0);
    try {
      setOutcome(await upload("/operator/import", file, { contentType: "application/x-ndjson", progress: setSent }));
    } catch (failed) { setRefusal(failed.message); }
    setSent(null);
  }

  return html`<div class="page fitted" data-testid="operator-page">
    <${Card} title=${t("import.title")} testid="import">
      <p class="hint">${t("import.explain")}</p>
      <form data-testid="import-form" onSubmit=${send}>
        <label for="import-file">${t("import.file")}</label>
        <div class="row wrap">
          <input id="import-file" type="file" accept=".ndjson,.jsonl,application/x-ndjson" data-testid="import-file"
                 onChange=${(event) => { setFile(event.currentTarget.files[0] ?? null); setOutcome(null); }} />
          <button type="submit" data-testid="import-submit" disabled=${sent !== null}>${t("import.submit")}</button>
        </div>
      </form>
      ${sent !== null && html`<div class="progress" data-testid="import-progress">
        <label for="import-sent">${sent < 1 ? t("import.uploading", { percent: Math.round(sent * 100) })
          : t("import.importing")}</label>
        <progress id="import-sent" max="1" value=${sent}></progress></div>`}
      ${refusal && html`<p class="refusal" role="alert" data-testid="import-error">${refusal}</p>`}
      <div role="status">${outcome && html`<${Outcome} outcome=${outcome} />`}</div>
    <//>
  </div>`;
}

function Outcome({ outcome }) {
  const total = outcome.rejected_total ?? outcome.rejected.length;
  return html`<div data-testid="import-outcome">
    <p><span data-testid="import-accepted">${t("import.accepted", { n: outcome.accepted })}</span>
      ${" · "}<span data-testid="import-rejected-count">${t("import.rejected", { n: total })}</span></p>
    ${outcome.rejected.length > 0 && html`<${Scrolling} label=${t("import.rejectedTitle")}>
      <table class="table" data-testid="import-rejected"><thead><tr>
        <th>${t("import.line")}</th><th>${t("import.reason")}</th></tr></thead>
      <tbody>${outcome.rejected.map((line) => html`<tr data-testid="import-rejected-line" data-line=${line.line}>
        <td>${line.line}</td><td>${line.error}</td></tr>`)}</tbody></table><//>`}
    ${total > outcome.rejected.length && html`<p class="muted">${t("import.firstOnly", { n: outcome.rejected.length })}</p>`}
  </div>`;
}
