# A real deployment of the driftcontrol stack into one project. Copy this folder per environment
# (environments/prod, environments/staging), set terraform.tfvars, and follow docs/deploy.md.

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

module "driftcontrol" {
  source = "../.."

  project_id            = var.project_id
  region                = var.region
  bigquery_location     = var.bigquery_location
  firestore_location_id = var.firestore_location_id
  firestore_database_id = var.firestore_database_id

  mirror_landing_time_utc        = var.mirror_landing_time_utc
  detect_delay_after_landing_min = var.detect_delay_after_landing_min
  scheduler_paused               = var.scheduler_paused

  subs_api_base_url = var.subs_api_base_url
  www_base_url      = var.www_base_url
  vpc_connector     = var.vpc_connector

  ope_change_topic_id = var.ope_change_topic_id

  jira_base_url = var.jira_base_url
  jira_email    = var.jira_email
  jira_projects = var.jira_projects

  console_domain           = var.console_domain
  console_members          = var.console_members
  stripe_console_secret_id = var.stripe_console_secret_id

  operator_members         = var.operator_members
  notification_channel_ids = var.notification_channel_ids

  labels = { environment = var.environment }
}
