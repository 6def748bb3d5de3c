// The customer admin's page: the partner's read-only access, requests for full admin access, and the audit log.
import { html } from "../view.js";
import { AccessGrant } from "./access_grant.js";
import { AccessRequests } from "./access_requests.js";
import { AuditLog } from "./audit_log.js";

export function CustomerAdminPage() {
  return html`<div class="page fitted" data-testid="customer-admin-page">
    <${AccessGrant} />
    <${AccessRequests} />
    <${AuditLog} path="/customer/audit" />
  </div>`;
}
