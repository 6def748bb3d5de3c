// Who is signed in: the token in sessionStorage, the person from /api/v1/me, signing in and out.
import { clearAlert } from "./alert.js";
import { api, credentials } from "./api.js";
import { useEffect, useState } from "./view.js";

const TOKEN_KEY = "helpdesk.token";
const listeners = new Set();
// me: the person signed in (null: nobody, undefined: not known yet); reason: why the last sign-in ended.
let state = { me: sessionStorage.getItem(TOKEN_KEY) ? undefined : null, reason: "" };

function update(change) {
  state = { ...state, ...change };
  if (state.me === null) clearAlert();
  for (const listener of listeners) listener(state);
}

credentials.token = () => sessionStorage.getItem(TOKEN_KEY);
credentials.refused = (reason) => { sessionStorage.removeItem(TOKEN_KEY); update({ me: null, reason }); };

export function useSession() {
  const [current, setCurrent] = useState(state);
  useEffect(() => { listeners.add(setCurrent); return () => listeners.delete(setCurrent); }, []);
  return current;
}

export async function signIn(email) {
  const issued = await api("/auth/demo-login", { method: "POST", body: { email }, anonymous: true });
  sessionStorage.setItem(TOKEN_KEY, issued.access_token);
  await loadMe();
}

export async function loadMe() {
  try {
    update({ me: await api("/me"), reason: "" });
  } catch (error) {
    if (error.status !== 401) { sessionStorage.removeItem(TOKEN_KEY); update({ me: null, reason: error.message }); }
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  update({ me: null, reason: "" });
}

export function holds(me, ...roles) { return (me?.roles ?? []).some((role) => roles.includes(role)); }
