output "function_uris" {
  description = "HTTPS URI of each function."
  value       = module.driftcontrol.function_uris
}

output "scheduler_jobs" {
  description = "Scheduler job per drift system and its cron (UTC)."
  value       = module.driftcontrol.scheduler_jobs
}

output "dead_letter_subscriptions" {
  description = "Dead-letter pull subscriptions (replay sources)."
  value       = module.driftcontrol.dead_letter_subscriptions
}

output "stripe_secrets" {
  description = "Secrets to add the Stripe restricted keys to, per function (gather, plan-apply, and the console with console_domain)."
  value       = module.driftcontrol.stripe_secrets
}

output "stripe_webhook_url" {
  description = "URL of stripe-events to give Stripe as the webhook endpoint."
  value       = module.driftcontrol.stripe_webhook_url
}

output "stripe_webhook_secret" {
  description = "Secret to add the webhook endpoint's signing secret (whsec_…) to."
  value       = module.driftcontrol.stripe_webhook_secret
}

output "event_sweeper_scheduler_job" {
  description = "Scheduler job calling event-sweeper every minute."
  value       = module.driftcontrol.event_sweeper_scheduler_job
}

output "firestore_database" {
  description = "Firestore database of driftcontrol's control state (FIRESTORE_DATABASE of the operator CLI)."
  value       = module.driftcontrol.firestore_database
}

output "replica_database_url_secrets" {
  description = "Secrets to add the read replicas' URLs to, per store (ope, billing_prod, cf_prod)."
  value       = module.driftcontrol.replica_database_url_secrets
}

output "functions_source_object" {
  description = "Deployed source archive."
  value       = module.driftcontrol.functions_source_object
}

output "audit_table" {
  description = "Audit table to check first when remediation did not fire."
  value       = module.driftcontrol.audit_table
}

output "jira_api_token_secret" {
  description = "Secret to add the Jira API user's token to (null without jira_base_url)."
  value       = module.driftcontrol.jira_api_token_secret
}

output "tickets_scheduler_job" {
  description = "Scheduler job calling classify-tickets weekly, and its cron (UTC); null without jira_base_url."
  value       = module.driftcontrol.tickets_scheduler_job
}

output "console_url" {
  description = "URL of the support console (through IAP); null without console_domain."
  value       = module.driftcontrol.console_url
}

output "console_ip_address" {
  description = "Address to point console_domain's DNS A record at; null without console_domain."
  value       = module.driftcontrol.console_ip_address
}
