variable "project_id" {
  type        = string
  description = "Project to deploy into."
}

variable "environment" {
  type        = string
  description = "Environment label (prod, staging, ...)."
}

variable "region" {
  type        = string
  description = "Region for functions, scheduler jobs, source bucket and image repository."
  default     = "us-central1"
}

variable "bigquery_location" {
  type        = string
  description = "Location of the BigQuery datasets; must match the mirror's location."
  default     = "US"
}

variable "firestore_location_id" {
  type        = string
  description = "Location of driftcontrol's Firestore database."
  default     = "nam5"
}

variable "firestore_database_id" {
  type        = string
  description = "Firestore database holding driftcontrol's control state (every Firestore grant is conditioned on it)."
  default     = "driftcontrol"
}

variable "mirror_landing_time_utc" {
  type        = string
  description = "HH:MM UTC by which the nightly mirror has landed."
  default     = "04:00"
}

variable "detect_delay_after_landing_min" {
  type        = number
  description = "Minutes after the landing time at which detection runs."
  default     = 30
}

variable "scheduler_paused" {
  type        = bool
  description = "Create the scheduler jobs paused (first deploy)."
  default     = true
}

variable "subs_api_base_url" {
  type        = string
  description = "Base URL of subs-api (gather, plan-apply, www-resync, stripe-events)."
  default     = ""
}

variable "www_base_url" {
  type        = string
  description = "Base URL of the www API (www-resync)."
  default     = ""
}

variable "vpc_connector" {
  type        = string
  description = "Serverless VPC Access connector id through which gather, plan-apply, www-resync and stripe-events reach subs-api, www and the read replicas, or null."
  default     = null
}

variable "ope_change_topic_id" {
  type        = string
  description = "Full id (projects/PROJECT/topics/NAME) of the OPE team's change topic that ope-events subscribes to, or null to deploy without ope-events (docs/deploy.md, \"OPE change events\")."
  default     = null
}

variable "operator_members" {
  type        = list(string)
  description = "On-call principals (group:...) allowed to replay, drain dead letters and flip the kill switch."
  default     = []
}

variable "notification_channel_ids" {
  type        = list(string)
  description = "Monitoring notification channel ids for every alert."
  default     = []
}

variable "jira_base_url" {
  type        = string
  description = "Jira Cloud site (https://SITE.atlassian.net) classify-tickets reads tickets from, or empty to deploy without classify-tickets (docs/deploy.md, \"Jira\")."
  default     = ""
}

variable "jira_email" {
  type        = string
  description = "Email of the Jira API user classify-tickets reads as (its token goes into the secret output as jira_api_token_secret); required with jira_base_url."
  default     = ""
}

variable "jira_projects" {
  type        = list(string)
  description = "Jira project keys classify-tickets reads."
  default     = ["BILL", "CUSTESC"]
}

variable "console_domain" {
  type        = string
  description = "Hostname of the support console behind Identity-Aware Proxy (its DNS A record points at the console_ip_address output), or empty to deploy without the console (docs/deploy.md, \"Support console\")."
  default     = ""
}

variable "console_members" {
  type        = list(string)
  description = "user: or group: principals allowed through IAP to the support console."
  default     = []
}

variable "stripe_console_secret_id" {
  type        = string
  description = "Secret Manager secret id of the console's own read-only Stripe restricted key (never gather's or plan-apply's)."
  default     = "stripe-console-restricted-key"
}
