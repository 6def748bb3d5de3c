// The agent web console (index.html): sign in, search as the agent types, open a user and check a caller with a code.
"use strict";
(function () {
  const TOKEN_KEY = "helpdesk.token";
  const API = "/api/v1";
  const DEBOUNCE_MS = 250;
  const SEARCH_ROLES = ["helpdesk", "helpdesk_advanced"];
  const DEMO_LOGINS = [
    ["agent@northwind.example", "Help Desk"],
    ["advanced@northwind.example", "Help Desk Advanced"],
    ["admin@northwind.example", "Partner admin"],
    ["it@acme.example", "Customer admin"],
    ["operator@helpdesk.local", "Operator"],
    ["agent@contoso.example", "Help Desk, other partner"],
  ];
  const GROUPS = [
    ["customers", "Customers"],
    ["users", "Users"],
    ["devices", "Devices"],
    ["orders", "Orders"],
  ];
  const KIND_LABELS = {
    text: "text", email: "e-mail", phone: "phone number", mac: "MAC address", serial: "serial number",
    sip: "SIP address", sip_address: "SIP address", org_id: "org ID", domain: "domain", site: "meeting site",
    order: "order number", order_number: "order number",
  };
  const FIELD_LABELS = {
    display_name: "display name", email: "e-mail", phone: "phone", mac: "MAC", sip_address: "SIP address",
    id: "ID", number: "order number",
  };

  const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
  const el = {
    main: document.getElementById("main"),
    error: $("error"),
    signin: $("signin-view"),
    loginForm: $("login-form"),
    loginEmail: $("login-email"),
    loginSubmit: $("login-submit"),
    demoLogins: $("demo-logins"),
    app: $("app-view"),
    who: $("who"),
    userName: $("user-name"),
    userRoles: $("user-roles"),
    signOut: $("sign-out"),
    needsRole: $("needs-role"),
    searchView: $("search-view"),
    searchForm: $("search-form"),
    searchInput: $("search-input"),
    interpretations: $("interpretations"),
    status: $("status"),
    results: $("results"),
  };

  let debounceTimer = null;
  let inflight = null;
  let sequence = 0;

  class ApiFailure extends Error {
    constructor(status, code, message, detail) {
      super(message);
      this.status = status;
      this.code = code;
      this.detail = detail || {};
    }
  }

  function node(tag, attrs, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "className") element.className = value;
      else element.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function showError(message) { el.error.textContent = message || ""; }
  function clearError() { el.error.textContent = ""; }

  async function api(path, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && !opts.anonymous) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method: opts.method || "GET", headers, signal: opts.signal,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiFailure(0, "network_error", "The help desk cannot be reached. Check your connection and try again.");
    }
    let payload = null;
    try { payload = await response.json(); } catch (_) { payload = null; }
    if (!response.ok) {
      const detail = payload && payload.error ? payload.error : {};
      let message = detail.message || `The request failed (HTTP ${response.status}).`;
      const retryAfter = response.headers.get("Retry-After");
      if (response.status === 429 && retryAfter && !/\d+ ?s/.test(message)) {
        message += ` Try again in ${retryAfter} s.`;
      }
      throw new ApiFailure(response.status, detail.code || "http_error", message, detail);
    }
    return payload;
  }

  /* ---------- views ---------- */

  function showSignIn() {
    cancelSearch();
    el.app.hidden = true;
    el.who.hidden = true;
    el.signin.hidden = false;
    el.main.classList.add("signed-out");
    el.loginSubmit.disabled = false;
    el.loginEmail.focus();
  }

  function showApp(me) {
    el.signin.hidden = true;
    el.main.classList.remove("signed-out");
    el.userName.textContent = me.name || me.email;
    el.userName.title = me.email;
    el.userRoles.replaceChildren(...(me.roles || []).map((role) => node("span", { className: "chip role" }, role)));
    el.who.hidden = false;
    el.app.hidden = false;
    const canSearch = (me.roles || []).some((role) => SEARCH_ROLES.includes(role));
    el.needsRole.hidden = canSearch;
    el.searchView.hidden = !canSearch;
    resetResults();
    el.searchInput.value = "";
    if (canSearch) el.searchInput.focus();
  }

  function endSession(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn();
    if (message) showError(message);
  }

  /* ---------- sign in / out ---------- */

  async function signIn(email) {
    clearError();
    const address = email.trim();
    if (!address) {
      showError("Enter the e-mail address you sign in with.");
      el.loginEmail.focus();
      return;
    }
    el.loginSubmit.disabled = true;
    try {
      const issued = await api("/auth/demo-login", { method: "POST", body: { email: address }, anonymous: true });
      sessionStorage.setItem(TOKEN_KEY, issued.access_token);
      await loadMe();
    } catch (error) {
      showError(error.message);
      el.loginEmail.focus();
    } finally {
      el.loginSubmit.disabled = false;
    }
  }

  async function loadMe() {
    try {
      const me = await api("/me");
      clearError();
      showApp(me);
    } catch (error) {
      if (error.status === 401) endSession(error.message);
      else { showSignIn(); showError(error.message); }
    }
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    clearError();
    el.loginEmail.value = "";
    showSignIn();
  }

  /* ---------- search ---------- */

  function cancelSearch() {
    clearTimeout(debounceTimer);
    debounceTimer = null;
    if (inflight) inflight.abort();
    inflight = null;
  }

  function resetResults() {
    el.results.replaceChildren();
    delete el.results.dataset.q;
    el.interpretations.replaceChildren();
    el.status.textContent = "";
  }

  function scheduleSearch() {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(runSearch, DEBOUNCE_MS);
  }

  async function runSearch() {
    clearTimeout(debounceTimer);
    debounceTimer = null;
    const q = el.searchInput.value.trim();
    if (inflight) inflight.abort();
    inflight = null;
    if (!q) {
      sequence += 1;
      resetResults();
      clearError();
      return;
    }
    const controller = new AbortController();
    inflight = controller;
    const mine = ++sequence;
    el.status.textContent = "Searching…";
    el.results.setAttribute("aria-busy", "true");
    try {
      const params = new URLSearchParams({ q, limit: "20" });
      const found = await api(`/search?${params}`, { signal: controller.signal });
      if (mine !== sequence) return;
      clearError();
      renderResults(found, q);
    } catch (error) {
      if (error.name === "AbortError" || mine !== sequence) return;
      if (error.status === 401) { endSession(error.message); return; }
      el.status.textContent = "";
      showError(error.message);
    } finally {
      if (mine === sequence) {
        inflight = null;
        el.results.removeAttribute("aria-busy");
      }
    }
  }

  function renderInterpretations(interpretations) {
    const items = (interpretations || []).map((reading) => {
      const label = KIND_LABELS[reading.kind] || String(reading.kind || "").replace(/_/g, " ");
      return node("span", { className: "chip", "data-testid": "interpretation", "data-kind": reading.kind || "" },
        label);
    });
    if (!items.length) { el.interpretations.replaceChildren(); return; }
    el.interpretations.replaceChildren("Read as: ", ...items.flatMap((item, i) => (i ? [" ", item] : [item])));
  }

  function renderHit(kind, hit) {
    const matched = hit.matched || {};
    const field = FIELD_LABELS[matched.field] || String(matched.field || "").replace(/_/g, " ");
    let open = null;
    if (kind === "users") {
      open = node("button", { type: "button", className: "link", "data-testid": "open-user" }, "Open");
      open.addEventListener("click", () => openUser(hit.id));
    }
    return node("li", { className: "hit", "data-testid": "hit", "data-kind": kind, "data-id": hit.id },
      node("div", { className: "hit-head" },
        node("span", { className: "hit-title", "data-testid": "hit-title" }, hit.title), open,
        kind === "customers" ? null : node("span", { className: "hit-org", title: "Customer org ID" }, hit.org_id)),
      hit.subtitle ? node("div", { className: "hit-subtitle", "data-testid": "hit-subtitle" }, hit.subtitle) : null,
      matched.field
        ? node("div", { className: "hit-matched", "data-testid": "hit-matched" },
            "matched: ", node("b", {}, field), " = ", matched.value)
        : null);
  }

  function renderResults(found, q) {
    renderInterpretations(found.interpretations);
    const sections = [];
    let total = 0;
    for (const [key, title] of GROUPS) {
      const hits = Array.isArray(found[key]) ? found[key] : [];
      total += hits.length;
      if (!hits.length) continue;
      const headingId = `group-${key}-title`;
      sections.push(node("section", { className: "group", "data-testid": `group-${key}`, "aria-labelledby": headingId },
        node("h2", { id: headingId },
          title, node("span", { className: "count", "data-testid": "count", "aria-label": `${hits.length} found` },
            hits.length)),
        node("ul", { className: "hits" }, ...hits.map((hit) => renderHit(key, hit)))));
    }
    if (!total) {
      sections.push(node("div", { className: "empty", "data-testid": "empty" },
        "No matches for ", node("strong", {}, `“${q}”`), "."));
    }
    el.results.replaceChildren(...sections);
    el.results.dataset.q = q;
    el.status.textContent = total === 1 ? "1 result" : `${total} results`;
  }

  /* ---------- a user, and a verification code to confirm the caller is them ---------- */

  const CODE_PROOF = "A verified code shows that the caller reads this user's mailbox now. It is not enough to " +
    "reset a password or credentials, nor to change who administers an organisation.";
  const CODE_OUTCOMES = {
    code_mismatch: (e) => `Wrong code: ${e.attempts_left} attempts left.`,
    code_locked: () => "Locked: too many wrong codes. Wait 15 minutes, then send a new code.",
    code_expired: () => "Expired: codes last 10 minutes. Send a new one.",
    code_used: () => "Already used. Send a new code to check again.",
  };

  async function openUser(userId) {
    clearError();
    let user;
    try { user = await api(`/users/${encodeURIComponent(userId)}`); } catch (error) { showError(error.message); return; }
    const outcome = node("p", { "data-testid": "code-outcome", role: "status", "aria-live": "polite" });
    const codeInput = node("input", { type: "text", inputMode: "numeric", autocomplete: "off", maxLength: 32,
                                      "aria-label": "Code the caller reads back", "data-testid": "code-input" });
    const check = node("button", { type: "submit", "data-testid": "code-check", disabled: true }, "Check");
    const send = node("button", { type: "button", "data-testid": "code-send" }, "Send code");
    let codeId = null;
    send.addEventListener("click", async () => {
      try {
        const sent = await api(`/users/${encodeURIComponent(userId)}/verification-codes`, { method: "POST" });
        codeId = sent.code_id;
        check.disabled = false;
        outcome.textContent = `Code sent to ${sent.sent_to}; it expires at ${new Date(sent.expires_at).toLocaleTimeString()}.`;
      } catch (error) { outcome.textContent = error.message; }
    });
    const form = node("form", { className: "code-check", "data-testid": "code-form" }, codeInput, check);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!codeId) return;
      try {
        await api(`/users/${encodeURIComponent(userId)}/verification-codes/${encodeURIComponent(codeId)}/check`,
                  { method: "POST", body: { code: codeInput.value } });
        outcome.textContent = "Verified: the caller reads this user's mailbox now.";
      } catch (error) {
        const explain = CODE_OUTCOMES[error.code];
        outcome.textContent = explain ? explain(error.detail || {}) : error.message;
      }
    });
    const panel = node("section", { className: "card user-panel", "data-testid": "user-panel",
                                    "aria-label": `User ${user.display_name}` },
      node("h2", { "data-testid": "user-panel-name" }, user.display_name),
      node("p", {}, `${user.email_address} · ${user.status} · ${user.org_name}`),
      node("p", { className: "hint", "data-testid": "code-proof" }, CODE_PROOF),
      send, form, outcome);
    const previous = document.querySelector('[data-testid="user-panel"]');
    if (previous) previous.replaceWith(panel); else el.results.before(panel);
    send.focus();
  }

  /* ---------- wiring ---------- */

  for (const [email, role] of DEMO_LOGINS) {
    const button = node("button", { type: "button", className: "link", "data-testid": "demo-login",
                                    "data-email": email }, email);
    button.addEventListener("click", () => { el.loginEmail.value = email; signIn(email); });
    el.demoLogins.append(node("li", {}, button, node("span", { className: "role" }, role)));
  }

  el.loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(el.loginEmail.value);
  });
  el.signOut.addEventListener("click", signOut);
  el.searchForm.addEventListener("submit", (event) => { event.preventDefault(); runSearch(); });
  el.searchInput.addEventListener("input", scheduleSearch);
  el.searchInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      el.searchInput.value = "";
      runSearch();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || el.searchView.hidden || el.app.hidden) return;
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable) return;
    event.preventDefault();
    el.searchInput.focus();
    el.searchInput.select();
  });

  if (sessionStorage.getItem(TOKEN_KEY)) loadMe();
  else showSignIn();
})();
