// Calls to the help desk's REST API: the sign-in token as bearer, and every refusal as an ApiError a person can read.
import { t } from "./i18n.js";

const API = "/api/v1";
// A 401 that refuses an admin session, not the sign-in: the agent stays signed in.
const ADMIN_SESSION_REFUSALS = ["admin_session_required", "invalid_admin_session"];

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Filled in by the session: the token to send, and what to do when the API refuses it. */
export const credentials = { token: () => null, refused: (_message) => {} };

/**
 * One call. `bearer` sends another token than the sign-in's (a read-only session's): its 401 is the caller's to
 * handle, whereas a 401 to the sign-in token ends the sign-in. `body` is sent as JSON, `raw` as it is. `headers`:
 * further headers (an admin session's token); their own 401 (an admin session refused) is the caller's to handle too.
 */
export async function api(path, { method = "GET", body, raw, signal, bearer, anonymous = false, headers: extra = {} } = {}) {
  const headers = { ...extra, Accept: "application/json" };
  const token = bearer ?? (anonymous ? null : credentials.token());
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, signal, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", t("error.network"));
  }
  if (response.status === 204) return null;
  let payload = null;
  try { payload = await response.json(); } catch (_) { payload = null; }
  if (response.ok) return payload;
  const { code = "http_error", message, ...details } = payload?.error ?? {};
  const refusal = new ApiError(response.status, code,
    explain(response.status, message, response.headers.get("Retry-After")), details);
  if (response.status === 401 && bearer === undefined && !anonymous && !ADMIN_SESSION_REFUSALS.includes(code)) {
    credentials.refused(refusal.message);
  }
  throw refusal;
}

/** A refusal in words a person reads: the API's own message, or what its status means, and when to try again. */
export function explain(status, message, retryAfter) {
  let text = message || t("error.http", { status });
  if (status === 503 && !message) text = t("error.unavailable");
  if ((status === 429 || status === 503) && retryAfter) {
    text += ` ${t("error.retry", { seconds: retryAfter })}`;
  }
  return text;
}

/** A path segment with its id quoted. */
export function part(id) { return encodeURIComponent(id); }
