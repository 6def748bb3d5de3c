// The read-only sessions this tab has opened, by customer: their token, when they end, the customer's name.
const KEY = (orgId) => `helpdesk.read-only.${orgId}`;

export function keepSession(orgId, session) { sessionStorage.setItem(KEY(orgId), JSON.stringify(session)); }

export function openSession(orgId) {
  const kept = sessionStorage.getItem(KEY(orgId));
  return kept ? JSON.parse(kept) : null;
}

export function forgetSession(orgId) { sessionStorage.removeItem(KEY(orgId)); }
