// The console's words in English and Italian: the browser's language by default, switchable in the header.
import { useEffect, useState } from "./view.js";
import { en } from "./words/en.js";
import { it } from "./words/it.js";

const CATALOGS = { en, it };
const CHOICE_KEY = "helpdesk.language";
export const LANGUAGES = [["en", "English"], ["it", "Italiano"]];
const listeners = new Set();
let current = initial();
document.documentElement.lang = current;

function initial() {
  const chosen = localStorage.getItem(CHOICE_KEY);
  if (chosen && chosen in CATALOGS) return chosen;
  const base = String(navigator.language || "en").slice(0, 2).toLowerCase();
  return base in CATALOGS ? base : "en";
}

export function language() { return current; }

export function setLanguage(code) {
  if (!(code in CATALOGS) || code === current) return;
  current = code;
  localStorage.setItem(CHOICE_KEY, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

/** Re-renders the calling component when the language changes. */
export function useLanguage() {
  const [code, setCode] = useState(current);
  useEffect(() => { listeners.add(setCode); return () => listeners.delete(setCode); }, []);
  return code;
}

/** The words for `key` in the current language, with {name} replaced from `params` (or a function's result). */
export function t(key, params = {}) {
  const entry = CATALOGS[current][key] ?? en[key];
  if (entry === undefined) return key;
  if (typeof entry === "function") return entry(params);
  return entry.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** The words for a value the API names (a field, a kind of reading, a status): its own, or the value as it is. */
export function label(group, value) {
  const entry = CATALOGS[current][`${group}.${value}`] ?? en[`${group}.${value}`];
  return typeof entry === "string" ? entry : String(value ?? "").replace(/_/g, " ");
}

export function formatTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(when);
}

export function formatClock(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? String(iso) : when.toLocaleTimeString(current);
}
