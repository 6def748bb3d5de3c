// Customer names the console has already been shown (a search's hits, a customer's or user's page), so a page can
// name a customer without another request: opening a customer is audited, and the agent did not.
const names = new Map();

export function rememberCustomer(orgId, name) { if (orgId && name) names.set(orgId, name); }
export function customerName(orgId) { return names.get(orgId); }
