// The one alert of the console: what went wrong, in words a help desk agent understands, until the page changes.
import { useEffect, useState } from "./view.js";

const listeners = new Set();
let message = "";

export function report(text) {
  message = text || "";
  for (const listener of listeners) listener(message);
}

export function clearAlert() { report(""); }

export function useAlert() {
  const [current, setCurrent] = useState(message);
  useEffect(() => { listeners.add(setCurrent); return () => listeners.delete(setCurrent); }, []);
  return current;
}
