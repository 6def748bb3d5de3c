// The console's areas, the roles each is for, and where a person lands after signing in (an agent: on the search).
import { holds } from "./session.js";

export const AREAS = [
  { area: "search", roles: ["helpdesk", "helpdesk_advanced"] },
  { area: "customer-admin", roles: ["customer_admin"] },
  { area: "partner-admin", roles: ["partner_admin"] },
  { area: "operator", roles: ["operator"] },
];
// The agent's pages besides the search itself, all in the search's area.
const SEARCH_PAGES = ["search", "users", "customers", "devices", "orders"];

/** The areas this person may open, in the order the header lists them. */
export function areasOf(me) { return AREAS.filter(({ roles }) => holds(me, ...roles)); }

/** The area a person lands on: the first they hold, the search when they hold none (it says which role it needs). */
export function homeOf(me) { return areasOf(me)[0]?.area ?? "search"; }

/** The area an address is in; an address that names none is the person's home. */
export function areaOf(route, me) {
  const first = route.parts[0];
  if (SEARCH_PAGES.includes(first)) return "search";
  return AREAS.some(({ area }) => area === first) ? first : homeOf(me);
}

export function mayOpen(me, area) { return areasOf(me).some((held) => held.area === area); }
