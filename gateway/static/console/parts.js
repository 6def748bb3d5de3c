// Small pieces every page shows the same way: a card with its title, label/value facts, a time, a refusal, a wide table.
import { formatTime, t } from "./i18n.js";
import { html } from "./view.js";

export function Card({ title, testid, children, className = "" }) {
  const id = `card-${testid || title}`.replace(/[^a-zA-Z0-9_-]/g, "-");
  return html`<section class="card ${className}" data-testid=${testid} aria-labelledby=${id}>
    <h2 id=${id}>${title}</h2>${children}</section>`;
}

/** Label/value pairs; a value that is empty shows "none". */
export function Facts({ rows }) {
  return html`<dl class="facts">${rows.map(([label, value]) => html`
    <div class="fact"><dt>${label}</dt><dd>${empty(value) ? t("none") : value}</dd></div>`)}</dl>`;
}

export function When({ at }) {
  return at ? html`<time datetime=${at}>${formatTime(at)}</time>` : t("none");
}

export function Refusal({ error }) {
  return error ? html`<p class="refusal" role="alert" data-testid="page-error">${error.message}</p>` : null;
}

/** A table wider than a narrow screen: it scrolls sideways, a named region the keyboard can reach to scroll it. */
export function Scrolling({ label, children }) {
  return html`<div class="scrolling" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

export function Loading() { return html`<p class="muted" role="status">${t("loading")}</p>`; }

export function Chips({ items }) {
  return items.length ? items.map((item) => html`<span class="chip">${item}</span> `) : t("none");
}

function empty(value) { return value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length); }
