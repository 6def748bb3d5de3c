// The partner admin's page: the partner's Help Desk agents and what they did across the partner's customers.
import { html } from "../view.js";
import { AuditLog } from "./audit_log.js";
import { HelpdeskAgents } from "./helpdesk_agents.js";

export function PartnerAdminPage() {
  return html`<div class="page fitted" data-testid="partner-admin-page">
    <${HelpdeskAgents} />
    <${AuditLog} path="/partner/audit" byCustomer=${true} />
  </div>`;
}
