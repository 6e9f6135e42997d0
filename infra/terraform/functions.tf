# The five functions of FUNCTIONS in shared/contracts/topology.ts, all from one source archive.
# detect-drift is HTTP (called by Cloud Scheduler); the four consumers use modules/event-function.

locals {
  # Sizing chosen per function; override per environment with var.function_settings_overrides.
  # Why these numbers:
  # - detect-drift: one call per drift system per night; runs BigQuery diff queries and publishes
  #   thousands of messages, so a long timeout; 2 instances because both systems fire at once, and
  #   concurrency 1 so a run never shares an instance's memory with the other.
  # - gather: I/O bound (Stripe reads with expand, BigQuery, Firestore), so concurrency 8; 10 instances
  #   cap concurrent gathers at 80, well under Stripe's read limit.
  # - plan-apply: moves money; few instances (4) so each instance's share of the Stripe write budget
  #   (config stripeWritesPerSecond / max_instances, see STRIPE_WRITE_INSTANCES) stays meaningful.
  # - www-resync: writes to the internal www API; modest parallelism (4 x 4) protects it.
  # - audit-writer: tiny streaming inserts; high concurrency, few instances, bounded for BigQuery quota.
  # Every consumer's timeout stays below the 600 s push ack deadline, or Pub/Sub would redeliver a
  # message still being processed.
  function_defaults = {
    "detect-drift" = { memory_mb = 1024, cpu = "1", timeout_s = 1500, min_instances = 0, max_instances = 2, max_concurrent_requests = 1 }
    "gather"       = { memory_mb = 512, cpu = "1", timeout_s = 120, min_instances = 0, max_instances = 10, max_concurrent_requests = 8 }
    "plan-apply"   = { memory_mb = 512, cpu = "1", timeout_s = 180, min_instances = 0, max_instances = 4, max_concurrent_requests = 4 }
    "www-resync"   = { memory_mb = 512, cpu = "1", timeout_s = 120, min_instances = 0, max_instances = 4, max_concurrent_requests = 4 }
    "audit-writer" = { memory_mb = 512, cpu = "1", timeout_s = 60, min_instances = 0, max_instances = 3, max_concurrent_requests = 32 }
  }

  function_settings = {
    for fn, defaults in local.function_defaults : fn => merge(
      defaults,
      { for k, v in try(var.function_settings_overrides[fn], {}) : k => v if v != null },
    )
  }

  # Environment every function gets. Every name here is one the adapter factory reads
  # (KNOWN_ENV_VARS in shared/adapters/factory.ts; test/infra/env-wiring.test.ts holds them together).
  # No log format variable: pino writes one JSON object per line on stdout, which Cloud Logging turns
  # into jsonPayload (the halted-run metric in monitoring.tf reads jsonPayload.outcome).
  common_env = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    BIGQUERY_LOCATION    = var.bigquery_location
    LOG_LEVEL            = var.log_level
  }

  # The Stripe key is read at runtime from Secret Manager, never from Terraform. Only gather and
  # plan-apply get it; the other functions start without it (their Stripe port fails if ever used).
  stripe_secret_env = [{
    key       = "STRIPE_API_KEY"
    secret_id = google_secret_manager_secret.stripe.secret_id
    version   = "latest"
  }]

  build_service_account_id = google_service_account.build.id
  docker_repository_id     = google_artifact_registry_repository.functions.id

  runtime_service_accounts = {
    "detect-drift" = google_service_account.detect_drift.email
    "gather"       = module.gather.runtime_service_account_email
    "plan-apply"   = module.plan_apply.runtime_service_account_email
    "www-resync"   = module.www_resync.runtime_service_account_email
    "audit-writer" = module.audit_writer.runtime_service_account_email
  }

  dead_letter_subscriptions = {
    "gather"       = module.gather.dead_letter_subscription_name
    "plan-apply"   = module.plan_apply.dead_letter_subscription_name
    "www-resync"   = module.www_resync.dead_letter_subscription_name
    "audit-writer" = module.audit_writer.dead_letter_subscription_name
  }

  event_function_shared = {
    ack_deadline_s                   = var.pubsub_ack_deadline_s
    min_retry_backoff_s              = var.pubsub_min_retry_backoff_s
    max_retry_backoff_s              = var.pubsub_max_retry_backoff_s
    max_delivery_attempts            = var.pubsub_max_delivery_attempts
    subscription_message_retention_s = var.subscription_message_retention_s
    dead_letter_message_retention_s  = var.dead_letter_message_retention_s
  }
}

# ---------------------------------------------------------------------------------------------------
# detect-drift (HTTP, invoked only by the scheduler's service account)
# ---------------------------------------------------------------------------------------------------

resource "google_service_account" "detect_drift" {
  project      = var.project_id
  account_id   = "dc-detect-drift"
  display_name = "driftcontrol detect-drift runtime"
}

resource "google_cloudfunctions2_function" "detect_drift" {
  project     = var.project_id
  location    = var.region
  name        = "detect-drift"
  description = "Daily drift detection for one drift system: freshness and sanity checks, run ledger, new-vs-persistent diff, safety valves, publishes one message per new-drift account or zone."
  labels      = merge(local.labels, { function = "detect-drift" })

  build_config {
    runtime           = "nodejs22"
    entry_point       = "detectDrift"
    service_account   = local.build_service_account_id
    docker_repository = local.docker_repository_id

    source {
      storage_source {
        bucket = google_storage_bucket.functions_source.name
        object = google_storage_bucket_object.functions_source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.detect_drift.email
    available_memory                 = "${local.function_settings["detect-drift"].memory_mb}Mi"
    available_cpu                    = local.function_settings["detect-drift"].cpu
    timeout_seconds                  = local.function_settings["detect-drift"].timeout_s
    min_instance_count               = local.function_settings["detect-drift"].min_instances
    max_instance_count               = local.function_settings["detect-drift"].max_instances
    max_instance_request_concurrency = local.function_settings["detect-drift"].max_concurrent_requests
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.common_env, try(var.extra_environment_variables["detect-drift"], {}))
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

# ---------------------------------------------------------------------------------------------------
# Event consumers
# ---------------------------------------------------------------------------------------------------

module "gather" {
  source = "./modules/event-function"

  project_id                 = var.project_id
  region                     = var.region
  name                       = "gather"
  description                = "Reads the 7+ sources of one account into a unified AccountView and publishes it for plan-apply."
  entry_point                = "gather"
  trigger_topic_name         = google_pubsub_topic.hop["stripe_drift_accounts"].name
  service_account_id         = "dc-gather"
  source_bucket              = google_storage_bucket.functions_source.name
  source_object              = google_storage_bucket_object.functions_source.name
  build_service_account_id   = local.build_service_account_id
  docker_repository_id       = local.docker_repository_id
  ingress_settings           = var.ingress_settings
  pubsub_service_agent_email = google_project_service_identity.pubsub.email
  labels                     = local.labels

  memory_mb               = local.function_settings["gather"].memory_mb
  cpu                     = local.function_settings["gather"].cpu
  timeout_s               = local.function_settings["gather"].timeout_s
  min_instances           = local.function_settings["gather"].min_instances
  max_instances           = local.function_settings["gather"].max_instances
  max_concurrent_requests = local.function_settings["gather"].max_concurrent_requests

  # One account at a time per ordering key (account id), in publish order.
  enable_message_ordering          = true
  ack_deadline_s                   = local.event_function_shared.ack_deadline_s
  min_retry_backoff_s              = local.event_function_shared.min_retry_backoff_s
  max_retry_backoff_s              = local.event_function_shared.max_retry_backoff_s
  max_delivery_attempts            = local.event_function_shared.max_delivery_attempts
  subscription_message_retention_s = local.event_function_shared.subscription_message_retention_s
  dead_letter_message_retention_s  = local.event_function_shared.dead_letter_message_retention_s

  environment_variables        = merge(local.common_env, try(var.extra_environment_variables["gather"], {}))
  secret_environment_variables = local.stripe_secret_env

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

module "plan_apply" {
  source = "./modules/event-function"

  project_id                 = var.project_id
  region                     = var.region
  name                       = "plan-apply"
  description                = "Plans the minimal diff with the pure core, re-checks preconditions and applies it to Stripe with deterministic idempotency keys."
  entry_point                = "planApply"
  trigger_topic_name         = google_pubsub_topic.hop["account_views"].name
  service_account_id         = "dc-plan-apply"
  source_bucket              = google_storage_bucket.functions_source.name
  source_object              = google_storage_bucket_object.functions_source.name
  build_service_account_id   = local.build_service_account_id
  docker_repository_id       = local.docker_repository_id
  ingress_settings           = var.ingress_settings
  pubsub_service_agent_email = google_project_service_identity.pubsub.email
  labels                     = local.labels

  memory_mb               = local.function_settings["plan-apply"].memory_mb
  cpu                     = local.function_settings["plan-apply"].cpu
  timeout_s               = local.function_settings["plan-apply"].timeout_s
  min_instances           = local.function_settings["plan-apply"].min_instances
  max_instances           = local.function_settings["plan-apply"].max_instances
  max_concurrent_requests = local.function_settings["plan-apply"].max_concurrent_requests

  enable_message_ordering          = true
  ack_deadline_s                   = local.event_function_shared.ack_deadline_s
  min_retry_backoff_s              = local.event_function_shared.min_retry_backoff_s
  max_retry_backoff_s              = local.event_function_shared.max_retry_backoff_s
  max_delivery_attempts            = local.event_function_shared.max_delivery_attempts
  subscription_message_retention_s = local.event_function_shared.subscription_message_retention_s
  dead_letter_message_retention_s  = local.event_function_shared.dead_letter_message_retention_s

  environment_variables = merge(
    local.common_env,
    {
      # The deployment's Stripe write budget is the Firestore config's stripeWritesPerSecond (operators
      # change it without a deploy); each instance enforces budget / this (a bottleneck per instance).
      STRIPE_WRITE_INSTANCES = tostring(local.function_settings["plan-apply"].max_instances)
    },
    try(var.extra_environment_variables["plan-apply"], {}),
  )
  secret_environment_variables = local.stripe_secret_env

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

module "www_resync" {
  source = "./modules/event-function"

  project_id                 = var.project_id
  region                     = var.region
  name                       = "www-resync"
  description                = "Resyncs one new-WWW-drift zone in www from subs-api, conditionally."
  entry_point                = "wwwResync"
  trigger_topic_name         = google_pubsub_topic.hop["www_drift_zones"].name
  service_account_id         = "dc-www-resync"
  source_bucket              = google_storage_bucket.functions_source.name
  source_object              = google_storage_bucket_object.functions_source.name
  build_service_account_id   = local.build_service_account_id
  docker_repository_id       = local.docker_repository_id
  ingress_settings           = var.ingress_settings
  pubsub_service_agent_email = google_project_service_identity.pubsub.email
  labels                     = local.labels

  memory_mb               = local.function_settings["www-resync"].memory_mb
  cpu                     = local.function_settings["www-resync"].cpu
  timeout_s               = local.function_settings["www-resync"].timeout_s
  min_instances           = local.function_settings["www-resync"].min_instances
  max_instances           = local.function_settings["www-resync"].max_instances
  max_concurrent_requests = local.function_settings["www-resync"].max_concurrent_requests

  # One zone at a time per ordering key (zone id).
  enable_message_ordering          = true
  ack_deadline_s                   = local.event_function_shared.ack_deadline_s
  min_retry_backoff_s              = local.event_function_shared.min_retry_backoff_s
  max_retry_backoff_s              = local.event_function_shared.max_retry_backoff_s
  max_delivery_attempts            = local.event_function_shared.max_delivery_attempts
  subscription_message_retention_s = local.event_function_shared.subscription_message_retention_s
  dead_letter_message_retention_s  = local.event_function_shared.dead_letter_message_retention_s

  environment_variables = merge(
    local.common_env,
    { SUBS_API_URL = var.subs_api_base_url, WWW_API_URL = var.www_base_url },
    try(var.extra_environment_variables["www-resync"], {}),
  )
  vpc_connector                 = var.vpc_connector
  vpc_connector_egress_settings = var.vpc_connector_egress_settings

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

module "audit_writer" {
  source = "./modules/event-function"

  project_id                 = var.project_id
  region                     = var.region
  name                       = "audit-writer"
  description                = "Writes audit events to BigQuery cfbill_migrations_audit with deterministic row ids."
  entry_point                = "auditWriter"
  trigger_topic_name         = google_pubsub_topic.hop["audit_events"].name
  service_account_id         = "dc-audit-writer"
  source_bucket              = google_storage_bucket.functions_source.name
  source_object              = google_storage_bucket_object.functions_source.name
  build_service_account_id   = local.build_service_account_id
  docker_repository_id       = local.docker_repository_id
  ingress_settings           = var.ingress_settings
  pubsub_service_agent_email = google_project_service_identity.pubsub.email
  labels                     = local.labels

  memory_mb               = local.function_settings["audit-writer"].memory_mb
  cpu                     = local.function_settings["audit-writer"].cpu
  timeout_s               = local.function_settings["audit-writer"].timeout_s
  min_instances           = local.function_settings["audit-writer"].min_instances
  max_instances           = local.function_settings["audit-writer"].max_instances
  max_concurrent_requests = local.function_settings["audit-writer"].max_concurrent_requests

  # Audit rows carry their own ids and times; ordering would only slow the writer down.
  enable_message_ordering          = false
  ack_deadline_s                   = local.event_function_shared.ack_deadline_s
  min_retry_backoff_s              = local.event_function_shared.min_retry_backoff_s
  max_retry_backoff_s              = local.event_function_shared.max_retry_backoff_s
  max_delivery_attempts            = local.event_function_shared.max_delivery_attempts
  subscription_message_retention_s = local.event_function_shared.subscription_message_retention_s
  dead_letter_message_retention_s  = local.event_function_shared.dead_letter_message_retention_s

  environment_variables = merge(local.common_env, try(var.extra_environment_variables["audit-writer"], {}))

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

# ---------------------------------------------------------------------------------------------------
# What each runtime identity may touch besides its topics (pubsub.tf) and secrets (the module).
# Firestore and BigQuery jobs have no finer resource-level IAM than the project; datasets and the
# audit table are granted at their own level.
# ---------------------------------------------------------------------------------------------------

locals {
  # Firestore: detect-drift writes the run ledger, plan-apply the per-account lease and cooldown,
  # www-resync its cooldown; gather only reads the per-account gates.
  firestore_roles = {
    "detect-drift" = "roles/datastore.user"
    "gather"       = "roles/datastore.viewer"
    "plan-apply"   = "roles/datastore.user"
    "www-resync"   = "roles/datastore.user"
  }

  # BigQuery queries run as jobs in this project. audit-writer streams rows (insertId = row_id) and
  # needs no jobs: it only gets dataEditor on the audit table below.
  bigquery_job_users = ["detect-drift", "gather"]

  # Read access to the mirror and its views: detection and the warehouse side of gather.
  bigquery_readers = {
    for pair in setproduct(["detect-drift", "gather"], ["mirror", "observability"]) :
    "${pair[0]}/${pair[1]}" => { fn = pair[0], dataset = pair[1] }
  }
}

resource "google_project_iam_member" "runtime_firestore" {
  for_each = local.firestore_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${local.runtime_service_accounts[each.key]}"
}

resource "google_project_iam_member" "runtime_bigquery_job_user" {
  for_each = toset(local.bigquery_job_users)

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${local.runtime_service_accounts[each.value]}"
}

resource "google_bigquery_dataset_iam_member" "runtime_reader" {
  for_each = local.bigquery_readers

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this[each.value.dataset].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${local.runtime_service_accounts[each.value.fn]}"
}

resource "google_bigquery_table_iam_member" "audit_writer" {
  project    = var.project_id
  dataset_id = google_bigquery_table.audit.dataset_id
  table_id   = google_bigquery_table.audit.table_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${local.runtime_service_accounts["audit-writer"]}"
}
