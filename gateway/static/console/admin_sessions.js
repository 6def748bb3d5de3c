// The admin sessions this tab has opened, by customer: their token, when they end, the customer's name and licences.
const KEY = (orgId) => `helpdesk.admin-session.${orgId}`;

export function keepAdminSession(orgId, session) { sessionStorage.setItem(KEY(orgId), JSON.stringify(session)); }

/** The customer's admin session, while it has not passed its end. */
export function adminSession(orgId) {
  const kept = sessionStorage.getItem(KEY(orgId));
  const session = kept ? JSON.parse(kept) : null;
  if (session && new Date(session.expires_at).getTime() <= Date.now()) { forgetAdminSession(orgId); return null; }
  return session;
}

export function forgetAdminSession(orgId) { sessionStorage.removeItem(KEY(orgId)); }
