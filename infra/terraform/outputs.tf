output "function_uris" {
  description = "HTTPS URI of each function (authenticated invocation only, except stripe-events: stripe_webhook_url). The console's run.app URI answers nobody (ingress through its load balancer only): people use console_url."
  value       = { for fn, m in module.function : fn => m.function_uri }
}

output "runtime_service_accounts" {
  description = "Runtime service account email of each function."
  value       = local.runtime_service_accounts
}

output "scheduler_service_account" {
  description = "Email of the only identity allowed to invoke detect-drift and event-sweeper, and with the operators classify-tickets."
  value       = google_service_account.scheduler.email
}

output "topics" {
  description = "Hop topic names by topic key of shared/contracts/topology.json (the topics this deployment created; never an external topic such as the OPE change topic)."
  value       = { for k, t in google_pubsub_topic.hop : k => t.name }
}

output "subscriptions" {
  description = "Push subscription feeding each deployed Pub/Sub-fed function (ope-events' on the OPE change topic only when ope_change_topic_id is set)."
  value = {
    for fn, f in local.deployed_functions : fn => module.function[fn].subscription_name
    if f.trigger_topic_key != null
  }
}

output "dead_letter_subscriptions" {
  description = "Pull subscription on each Pub/Sub-fed function's dead-letter topic (replay source)."
  value       = local.dead_letter_subscriptions
}

output "scheduler_jobs" {
  description = "Cloud Scheduler job per drift system, and the cron it runs on (UTC)."
  value       = { for k, j in google_cloud_scheduler_job.detect_drift : k => { name = j.name, schedule = j.schedule } }
}

output "event_sweeper_scheduler_job" {
  description = "Cloud Scheduler job calling event-sweeper, and its cron (UTC: every minute)."
  value       = { name = google_cloud_scheduler_job.event_sweeper.name, schedule = google_cloud_scheduler_job.event_sweeper.schedule }
}

output "tickets_scheduler_job" {
  description = "Cloud Scheduler job calling classify-tickets weekly, and its cron (UTC); null when classify-tickets is not deployed (jira_base_url empty)."
  value = one([
    for fn in keys(google_cloud_scheduler_job.classify_tickets) : {
      name     = google_cloud_scheduler_job.classify_tickets[fn].name
      schedule = google_cloud_scheduler_job.classify_tickets[fn].schedule
    }
  ])
}

output "stripe_webhook_url" {
  description = "URL to give Stripe as the webhook endpoint (Stripe dashboard, Developers, Webhooks): stripe-events' run.app URI, the one function anyone may call; every request must carry a valid Stripe-Signature."
  value       = module.function["stripe-events"].function_uri
}

output "stripe_webhook_secret" {
  description = "Secret Manager secret to add the webhook endpoint's signing secret (whsec_…) to (gcloud secrets versions add); stripe-events alone mounts it as STRIPE_WEBHOOK_SECRET."
  value       = google_secret_manager_secret.stripe_webhook.id
}

output "functions_source_object" {
  description = "gs:// URL of the deployed source archive; its name carries the content hash."
  value       = "gs://${google_storage_bucket.functions_source.name}/${google_storage_bucket_object.functions_source.name}"
}

output "stripe_secrets" {
  description = "Secret Manager secret, per function that calls Stripe (gather, plan-apply, and the console when console_domain is set), to add its own Stripe restricted key to (gcloud secrets versions add); each function mounts only its own as STRIPE_API_KEY."
  value       = { for fn in keys(local.stripe_keys) : fn => google_secret_manager_secret.stripe_key[fn].id }
}

output "jira_api_token_secret" {
  description = "Secret Manager secret to add the Jira API user's token to (gcloud secrets versions add); classify-tickets alone mounts it as JIRA_API_TOKEN. Null when classify-tickets is not deployed (jira_base_url empty)."
  value       = one([for fn in keys(google_secret_manager_secret.jira_api_token) : google_secret_manager_secret.jira_api_token[fn].id])
}

output "firestore_database" {
  description = "Id of the Firestore database holding driftcontrol's control state: FIRESTORE_DATABASE of the functions, and of the operator CLI."
  value       = local.firestore_database
}

output "replica_database_url_secrets" {
  description = "Secret Manager secret, per store (ope, billing_prod, cf_prod), to add the URL of its read replica to (gcloud secrets versions add); gather, plan-apply and the console mount them as OPE_DATABASE_URL, BILLING_PROD_DATABASE_URL and CF_PROD_DATABASE_URL."
  value       = { for store, s in google_secret_manager_secret.replica_database_url : store => s.id }
}

output "audit_table" {
  description = "Fully qualified audit table."
  value       = "${var.project_id}.${google_bigquery_table.audit.dataset_id}.${google_bigquery_table.audit.table_id}"
}

output "ticket_classifications_table" {
  description = "Fully qualified table classify-tickets lands one row per ticket in (the ticket views read it)."
  value       = "${var.project_id}.${google_bigquery_table.tickets.dataset_id}.${google_bigquery_table.tickets.table_id}"
}

output "bigquery_sql_jobs" {
  description = "BigQuery job ids that ran the mirror DDL and the views script in this apply (empty when the folders hold no files)."
  value = {
    mirror_ddl = one(google_bigquery_job.mirror_ddl[*].job_id)
    views      = one(google_bigquery_job.views[*].job_id)
  }
}

output "console_url" {
  description = "URL people open the support console at, through Identity-Aware Proxy (console_members only); null when the console is not deployed (console_domain empty)."
  value       = one([for fn in local.console_functions : "https://${var.console_domain}/"])
}

output "console_ip_address" {
  description = "Address to point console_domain's DNS A record at (the Google-managed certificate is issued only once it resolves there); null when the console is not deployed."
  value       = one([for fn in local.console_functions : google_compute_global_address.console[fn].address])
}

output "console_iap_backend_service" {
  description = "Backend service the console's IAP is enabled on (IAP_AUDIENCE names its numeric id; console_members hold roles/iap.httpsResourceAccessor on it); null when the console is not deployed."
  value       = one([for fn in local.console_functions : google_compute_backend_service.console[fn].name])
}
