// Sending a file to the API with its upload's progress (fetch cannot report it), refused the way api.js refuses.
import { ApiError, credentials, explain } from "./api.js";
import { t } from "./i18n.js";

/** POSTs `file` as the body to `path`; `progress(fraction)` hears how much has been sent; resolves to the answer. */
export function upload(path, file, { contentType, progress = () => {} }) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/v1${path}`);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("Content-Type", contentType);
    const token = credentials.token();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.upload.onprogress = (event) => { if (event.lengthComputable) progress(event.loaded / event.total); };
    request.onerror = () => reject(new ApiError(0, "network_error", t("error.network")));
    request.onload = () => {
      let payload = null;
      try { payload = JSON.parse(request.responseText); } catch (_) { payload = null; }
      if (request.status >= 200 && request.status < 300) { progress(1); resolve(payload); return; }
      const { code = "http_error", message, ...details } = payload?.error ?? {};
      const refusal = new ApiError(request.status, code,
        explain(request.status, message, request.getResponseHeader("Retry-After")), details);
      if (request.status === 401) credentials.refused(refusal.message);
      reject(refusal);
    };
    request.send(file);
  });
}
