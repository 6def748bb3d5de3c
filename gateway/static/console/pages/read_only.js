// A customer's org seen as a read-only admin, under a banner naming it and counting its session down to the end.
import { api, part } from "../api.js";
import { label, t } from "../i18n.js";
import { Card, Chips, Facts, Loading, Scrolling, When } from "../parts.js";
import { forgetSession, openSession } from "../read_only_sessions.js";
import { href } from "../router.js";
import { html, useEffect, useState } from "../view.js";

const PARTS = ["users", "devices", "licenses", "settings"];

export function ReadOnlyPage({ orgId, query }) {
  const [session] = useState(() => openSession(orgId));
  const [ended, setEnded] = useState(session ? "" : t("readOnly.none"));
  const [left, setLeft] = useState(() => secondsLeft(session));
  const shown = PARTS.includes(query.get("part")) ? query.get("part") : "users";

  useEffect(() => {
    if (!session || ended) return undefined;
    const tick = setInterval(() => {
      const now = secondsLeft(session);
      setLeft(now);
      if (now <= 0) end(t("readOnly.expired"));
    }, 1000);
    return () => clearInterval(tick);
  }, [ended]);

  function end(why) { forgetSession(orgId); setEnded(why); }

  const back = href(["customers", orgId]);
  if (ended) {
    return html`<div class="notice" data-testid="read-only-ended" role="status"><p>${ended}</p>
      <p><a href=${back}>${t("readOnly.back")}</a></p></div>`;
  }
  return html`<div class="page fitted">
    <div class="banner" role="region" aria-label=${t("readOnly.bannerLabel")} data-testid="read-only-banner">
      <span>${t("readOnly.banner", { name: session.name })}</span>
      <span data-testid="read-only-countdown" aria-live="off">${t("readOnly.endsIn", { time: clock(left) })}</span>
      <button type="button" class="secondary" data-testid="read-only-end"
              onClick=${() => end(t("readOnly.endedByAgent"))}>${t("readOnly.end")}</button>
    </div>
    <nav class="tabs" aria-label=${t("readOnly.parts")}>
      ${PARTS.map((name) => html`<a href=${href(["customers", orgId, "read-only"], { part: name })} data-testid=${`read-only-tab-${name}`}
          aria-current=${name === shown ? "page" : undefined}>${t(`readOnly.${name}`)}</a>`)}
    </nav>
    <${Part} key=${shown} orgId=${orgId} name=${shown} token=${session.token} ended=${end} />
  </div>`;
}

function Part({ orgId, name, token, ended }) {
  const [pages, setPages] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);

  async function read(from) {
    try {
      const page = await api(`/read-only/${part(orgId)}/${name}${from ? `?cursor=${encodeURIComponent(from)}` : ""}`,
                             { bearer: token });
      setPages((before) => [...before, page]);
      setCursor(page.next_cursor ?? null);
    } catch (error) {
      if (error.status === 401) ended(t("readOnly.endedBy", { reason: error.message }));
      else setError(error);
    }
  }
  useEffect(() => { read(null); }, []);

  if (error) return html`<p class="refusal" role="alert">${error.message}</p>`;
  if (!pages.length) return html`<${Loading} />`;
  const items = pages.flatMap((page) => page.items ?? []);
  return html`<${Card} title=${t(`readOnly.${name}`)} testid=${`read-only-${name}`}>
    ${name === "settings" ? html`<${Settings} settings=${pages[0]} />` : html`<${Rows} name=${name} items=${items} />`}
    ${cursor && html`<button type="button" class="secondary" onClick=${() => read(cursor)}>${t("readOnly.more")}</button>`}
  <//>`;
}

function Rows({ name, items }) {
  if (!items.length) return html`<p class="muted">${t("none")}</p>`;
  const columns = {
    users: [["user.name", (u) => u.display_name], ["user.email", (u) => u.email], ["user.status", (u) => label("status", u.status)],
            ["user.licences", (u) => (u.licenses ?? []).join(", ")]],
    devices: [["device.product", (d) => d.product], ["device.serial", (d) => d.serial], ["device.mac", (d) => d.mac],
              ["device.status", (d) => label("status", d.status)]],
    licenses: [["licence.name", (l) => l.name], ["licence.sku", (l) => l.sku], ["licence.used", (l) => `${l.consumed} / ${l.total}`]],
  }[name];
  return html`<${Scrolling} label=${t(`readOnly.${name}`)}><table class="table"><thead><tr>
    ${columns.map(([title]) => html`<th>${t(title)}</th>`)}</tr></thead>
    <tbody>${items.map((item) => html`<tr>${columns.map(([, value]) => html`<td>${value(item)}</td>`)}</tr>`)}</tbody>
    </table><//>`;
}

function Settings({ settings }) {
  const features = Object.entries(settings.features ?? {});
  return html`<${Facts} rows=${[
    [t("customer.id"), settings.id], [t("customer.created"), html`<${When} at=${settings.created_at} />`],
    [t("customer.domains"), html`<${Chips} items=${(settings.domains ?? []).map((domain) => domain.name)} />`],
    [t("customer.sites"), html`<${Chips} items=${settings.sites ?? []} />`],
    [t("readOnly.users"), settings.users], [t("readOnly.devices"), settings.devices],
    [t("user.features"), html`<${Chips} items=${features.map(([feature, count]) =>
      t("readOnly.feature", { feature, on: count.enabled, off: count.disabled }))} />`],
  ]} />`;
}

function secondsLeft(session) {
  return session ? Math.max(0, Math.round((new Date(session.expires_at).getTime() - Date.now()) / 1000)) : 0;
}

function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
