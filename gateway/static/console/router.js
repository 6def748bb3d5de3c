// The console's addresses (#/search?q=…, #/users/u-123, #/customers/o-acme, …): the back button and a shared link work.
import { useEffect, useState } from "./view.js";

/** The page and its query from an address such as "#/users/u-1?tab=x". */
export function parse(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/** The address of a page: href(["users", "u-1"], {q: "x"}) is "#/users/u-1?q=x". */
export function href(parts, query = {}) {
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value)).toString();
  return `#/${parts.map(encodeURIComponent).join("/")}${search ? `?${search}` : ""}`;
}

export function go(parts, query = {}) { location.hash = href(parts, query); }

/** Go to a page in place of the one the address names (the back button does not return to it). */
export function redirect(parts, query = {}) { location.replace(href(parts, query)); }

/** Change the address without a new entry in the history (as a search is typed). */
export function replace(parts, query = {}) { history.replaceState(null, "", href(parts, query)); }

export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const changed = () => setRoute(parse());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
