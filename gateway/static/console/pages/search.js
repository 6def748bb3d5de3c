// The search page: results as the agent types, grouped, with what matched; arrows move, Enter opens, / and Esc.
import { report } from "../alert.js";
import { api } from "../api.js";
import { label, t } from "../i18n.js";
import { href, replace } from "../router.js";
import { customerName, rememberCustomer } from "../customers_seen.js";
import { html, useEffect, useRef, useState } from "../view.js";
import { Marked } from "./marked.js";

const DEBOUNCE_MS = 250;
const GROUPS = ["customers", "users", "devices", "orders"];
const PAGE_OF = { customers: "customers", users: "users", devices: "devices", orders: "orders" };

export function SearchPage({ query }) {
  const orgId = query.get("org") || "";
  const [text, setText] = useState(query.get("q") || "");
  const [found, setFound] = useState(null);
  const [searching, setSearching] = useState(false);
  const box = useRef(null);
  const results = useRef(null);
  const latest = useRef({ sequence: 0, controller: null, timer: null });

  async function run(value) {
    const state = latest.current;
    clearTimeout(state.timer);
    state.controller?.abort();
    const q = value.trim();
    const mine = ++state.sequence;
    replace(["search"], { q: value, org: orgId });
    if (!q) { setFound(null); setSearching(false); report(""); return; }
    state.controller = new AbortController();
    setSearching(true);
    try {
      const params = new URLSearchParams({ q, limit: "20" });
      if (orgId) params.set("org_id", orgId);
      const answer = await api(`/search?${params}`, { signal: state.controller.signal });
      if (mine !== state.sequence) return;  // a later search is under way: this answer is stale
      for (const hit of answer.customers ?? []) rememberCustomer(hit.id, hit.title);
      for (const key of GROUPS) for (const hit of answer[key] ?? []) rememberCustomer(hit.org_id, hit.org_name);
      report("");
      setFound({ ...answer, searched: q });
    } catch (error) {
      if (error.name === "AbortError" || mine !== state.sequence) return;
      report(error.message);
    } finally {
      if (mine === state.sequence) setSearching(false);
    }
  }

  useEffect(() => {
    box.current?.focus();
    if (text.trim()) run(text);
    const slash = (event) => {
      const target = event.target;
      if (event.key !== "/" || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
          || target instanceof HTMLSelectElement || target.isContentEditable) return;
      event.preventDefault();
      box.current?.focus();
      box.current?.select();
    };
    document.addEventListener("keydown", slash);
    return () => { document.removeEventListener("keydown", slash); clearTimeout(latest.current.timer);
                   latest.current.controller?.abort(); latest.current.sequence += 1; };
  }, [orgId]);

  function typed(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(latest.current.timer);
    latest.current.timer = setTimeout(() => run(value), DEBOUNCE_MS);
  }

  function clear() { setText(""); run(""); box.current?.focus(); }

  function keys(event) {
    const links = [...(results.current?.querySelectorAll("a.hit-title") ?? [])];
    const at = links.indexOf(document.activeElement);
    if (event.key === "Escape") { event.preventDefault(); clear(); }
    else if (event.key === "ArrowDown" && links.length) { event.preventDefault(); links[Math.min(at + 1, links.length - 1)].focus(); }
    else if (event.key === "ArrowUp" && at >= 0) { event.preventDefault(); (at === 0 ? box.current : links[at - 1]).focus(); }
  }

  const total = found ? GROUPS.reduce((sum, key) => sum + (found[key]?.length ?? 0), 0) : 0;
  return html`<div data-testid="search-view" onKeyDown=${keys}>
    <form class="search-box" role="search" data-testid="search-form"
          onSubmit=${(event) => { event.preventDefault(); run(text); }}>
      <label for="search-input" class="visually-hidden">${t("search.label")}</label>
      <input id="search-input" ref=${box} type="search" name="q" maxlength="256" autocomplete="off" spellcheck="false"
             placeholder=${t("search.placeholder")} aria-describedby="search-hint" data-testid="search-input"
             value=${text} onInput=${typed} />
      <p class="hint" id="search-hint">${t("search.hint")}</p>
    </form>
    ${orgId && html`<p class="scope" data-testid="search-scope">${t("search.onlyIn", { name: customerName(orgId) || orgId })}
      <a href=${href(["search"], { q: text })} data-testid="search-everywhere">${t("search.everywhere")}</a></p>`}
    <div class="summary">
      <span data-testid="interpretations">${found && html`<${Interpretations} readings=${found.interpretations} />`}</span>
      <span role="status" aria-live="polite" data-testid="status">
        ${searching ? t("search.searching") : found ? t("search.count", { n: total }) : ""}</span>
    </div>
    <div class="groups" data-testid="results" data-q=${found?.searched} aria-busy=${searching ? "true" : undefined}
         ref=${results}>
      ${found && GROUPS.map((key) => html`<${Group} key=${key} kind=${key} hits=${found[key] ?? []} q=${found.searched} />`)}
      ${found && !total && html`<div class="empty" data-testid="empty">
        ${t("search.nothingBefore")}<strong>“${found.searched}”</strong>${t("search.nothingAfter")}</div>`}
    </div>
  </div>`;
}

function Interpretations({ readings }) {
  if (!readings?.length) return null;
  const chips = readings.map((reading, index) => html`${index ? " " : ""}<span class="chip" data-testid="interpretation"
    data-kind=${reading.kind}>${label("kind", reading.kind)}</span>`);
  return html`${t("search.readAs")}${chips}`;
}

function Group({ kind, hits, q }) {
  if (!hits.length) return null;
  const title = `group-${kind}-title`;
  return html`<section class="group" data-testid=${`group-${kind}`} aria-labelledby=${title}>
    <h2 id=${title}>${t(`group.${kind}`)}<span class="count" data-testid="count">${hits.length}</span></h2>
    <ul class="hits">${hits.map((hit) => html`<${Hit} key=${hit.id} kind=${kind} hit=${hit} q=${q} />`)}</ul>
  </section>`;
}

function Hit({ kind, hit, q }) {
  const matched = hit.matched ?? {};
  const customer = kind === "customers" ? null : hit.org_name || customerName(hit.org_id);
  return html`<li class="hit" data-testid="hit" data-kind=${kind} data-id=${hit.id}>
    <div class="hit-head">
      <a class="hit-title" data-testid="hit-title" href=${href([PAGE_OF[kind], hit.id])}>${hit.title}</a>
      ${kind !== "customers" && html`<a class="hit-org" data-testid="hit-customer" href=${href(["customers", hit.org_id])}
        title=${t("search.customerId", { id: hit.org_id })}>${customer || hit.org_id}</a>`}
    </div>
    ${hit.subtitle && html`<div class="hit-subtitle" data-testid="hit-subtitle">${hit.subtitle}</div>`}
    ${matched.field && html`<div class="hit-matched" data-testid="hit-matched">${t("search.matched")}<b>${label("field", matched.field)}</b> = <${Marked} value=${String(matched.value ?? "")} q=${q} /></div>`}
  </li>`;
}
