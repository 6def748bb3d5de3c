// An audit log of what partner agents did: filtered by agent, action, (for a partner) customer and time; newest first,
// "more".
import { api } from "../api.js";
import { t } from "../i18n.js";
import { Card, Refusal, Scrolling, When } from "../parts.js";
import { html, useEffect, useRef, useState } from "../view.js";

const ACTIONS = ["search", "customer.viewed", "user.viewed", "user.email_viewed", "user.code_sent", "user.code_rejected",
  "user.code_verified", "user.suppression_removed", "device.viewed", "order.viewed", "read_only_session.started",
  "customer.admin_access_requested", "customer.admin_session_opened", "user.changed_as_admin"];
const NO_FILTERS = { agent: "", action: "", org_id: "", since: "", until: "" };
// Typed in the browser's local time, sent as RFC 3339 UTC.
const TIMES = ["since", "until"];

export function AuditLog({ path, byCustomer = false }) {
  const [draft, setDraft] = useState(NO_FILTERS);
  const [filters, setFilters] = useState(NO_FILTERS);
  const [badTime, setBadTime] = useState("");
  // shown: the filters the entries are for (as a query string), so a reader can tell a stale page from a fresh one.
  const [log, setLog] = useState({ entries: [], next: null, shown: null, loading: true, error: null });
  const reading = useRef(null);

  async function read(cursor) {
    reading.current?.abort();
    const controller = new AbortController();
    reading.current = controller;
    const shown = new URLSearchParams(Object.entries(filters).filter(([, value]) => value)).toString();
    setLog((before) => ({ ...before, loading: true }));
    try {
      const query = cursor ? `${shown}${shown ? "&" : ""}cursor=${encodeURIComponent(cursor)}` : shown;
      const page = await api(`${path}?${query}`, { signal: controller.signal });
      setLog((before) => ({ entries: cursor ? [...before.entries, ...page.entries] : page.entries,
                            next: page.next_cursor, shown, loading: false, error: null }));
    } catch (error) {
      if (error.name !== "AbortError") setLog((before) => ({ ...before, loading: false, error }));
    }
  }
  useEffect(() => { read(null); return () => reading.current?.abort(); }, [filters]);

  function apply(event) {
    event.preventDefault();
    const chosen = Object.fromEntries(Object.entries(draft).map(([name, value]) => [name, value.trim()]));
    for (const name of TIMES) {
      if (!chosen[name]) continue;
      const at = new Date(chosen[name]);
      if (Number.isNaN(at.getTime())) { setBadTime(t("audit.badTime")); return; }
      chosen[name] = at.toISOString();
    }
    setBadTime("");
    setFilters(chosen);
  }
  function field(name, word, extra = {}) {
    return html`<div class="field"><label for=${`audit-${name}`}>${t(word)}</label>
      <input id=${`audit-${name}`} type="text" maxlength="320" autocomplete="off" data-testid=${`audit-filter-${name}`}
             value=${draft[name]} onInput=${(event) => setDraft({ ...draft, [name]: event.currentTarget.value })}
             ...${extra} /></div>`;
  }
  function time(name, word) {
    return html`<div class="field"><label for=${`audit-${name}`}>${t(word)}</label>
      <input id=${`audit-${name}`} type="datetime-local" data-testid=${`audit-filter-${name}`} value=${draft[name]}
             onInput=${(event) => setDraft({ ...draft, [name]: event.currentTarget.value })} /></div>`;
  }

  return html`<${Card} title=${t("audit.title")} testid="audit-log">
    <p class="hint">${t(byCustomer ? "audit.explainPartner" : "audit.explainCustomer")}</p>
    <form class="filters" data-testid="audit-filters" onSubmit=${apply}>
      ${field("agent", "audit.agent", { placeholder: t("audit.agentExample") })}
      ${field("action", "audit.action", { list: "audit-actions" })}
      ${byCustomer && field("org_id", "audit.customer")}
      ${time("since", "audit.since")}
      ${time("until", "audit.until")}
      <datalist id="audit-actions">${ACTIONS.map((action) => html`<option value=${action} />`)}</datalist>
      <div class="row"><button type="submit" data-testid="audit-filter-submit">${t("audit.filter")}</button>
        <button type="button" class="secondary" data-testid="audit-filter-clear"
                onClick=${() => { setDraft(NO_FILTERS); setFilters(NO_FILTERS); setBadTime(""); }}>
          ${t("audit.clear")}</button></div>
    </form>
    ${badTime && html`<p class="refusal" role="alert" data-testid="audit-filter-error">${badTime}</p>`}
    <${Refusal} error=${log.error} />
    <div data-testid="audit-results" data-filters=${log.shown ?? undefined}>
      ${log.entries.length ? html`<${Entries} entries=${log.entries} byCustomer=${byCustomer} />`
        : !log.loading && !log.error && html`<p class="muted" data-testid="audit-empty">${t("audit.empty")}</p>`}</div>
    <p role="status" class="muted">${log.loading ? t("loading") : ""}</p>
    ${log.next && html`<button type="button" class="secondary" data-testid="audit-more" disabled=${log.loading}
      onClick=${() => read(log.next)}>${t("audit.more")}</button>`}
  <//>`;
}

function Entries({ entries, byCustomer }) {
  return html`<${Scrolling} label=${t("audit.title")}><table class="table audit" data-testid="audit-entries">
    <thead><tr><th>${t("audit.when")}</th>
      <th>${t("audit.agent")}</th><th>${t("audit.action")}</th><th>${t("audit.target")}</th>
      ${byCustomer && html`<th>${t("audit.customer")}</th>`}<th>${t("audit.reason")}</th><th>${t("audit.request")}</th>
    </tr></thead>
    <tbody>${entries.map((entry) => html`<tr data-testid="audit-entry" data-action=${entry.action}>
      <td><${When} at=${entry.at} /></td><td data-testid="audit-entry-agent">${entry.agent.email || entry.agent.id}</td>
      <td class="mono">${entry.action}</td><td class="target">${entry.target.type}: <span class="mono">${entry.target.id}</span></td>
      ${byCustomer && html`<td class="mono">${entry.org_id}</td>`}<td>${entry.reason ?? ""}</td>
      <td class="mono request">${entry.correlation_id}</td></tr>`)}</tbody></table><//>`;
}
