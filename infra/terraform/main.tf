# Billing drift control: the deployment of DESIGN.md section 2.
#
# The topology (function names, entry points, topics, subscription naming, datasets, collections) is
# data in shared/contracts/topology.ts; the literals below mirror it and test/infra/*.test.ts parses
# this folder and fails when the two disagree. Change both in the same commit.
#
# Files: main.tf (this: shared locals, APIs, source archive, build identity), pubsub.tf, functions.tf,
# scheduler.tf, firestore.tf, bigquery.tf, secrets.tf, monitoring.tf.

locals {
  repo_root = abspath("${path.module}/../..")

  # TOPICS in shared/contracts/topology.ts (key in snake_case -> topic name).
  topics = {
    stripe_drift_accounts = "drift-stripe-accounts"
    account_views         = "drift-account-views"
    www_drift_zones       = "drift-www-zones"
    audit_events          = "drift-audit-events"
  }

  # FUNCTIONS[].publishes in topology.ts: a function may publish only to these topics, and gets
  # roles/pubsub.publisher on exactly these.
  publishes = {
    "detect-drift" = ["stripe_drift_accounts", "www_drift_zones", "audit_events"]
    "gather"       = ["account_views", "audit_events"]
    "plan-apply"   = ["audit_events"]
    "www-resync"   = ["audit_events"]
    "audit-writer" = []
  }

  # DATASETS and AUDIT_TABLE in topology.ts.
  datasets = {
    mirror        = "billing_mirror"
    observability = "billing_observability"
    audit         = "billing_audit"
  }
  audit_table = "cfbill_migrations_audit"

  # COLLECTIONS in topology.ts.
  collections = {
    config        = "config"
    runs          = "driftcontrol_runs"
    gates         = "account_gates"
    account_state = "account_state"
  }

  # Drift systems (DriftSystem in shared/domain/audit.ts): one scheduler job each.
  drift_systems = ["stripe", "www"]

  labels = merge(var.labels, { app = "driftcontrol" })

  apis = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])

  project = var.project_id
  service = each.value
  # Other workloads in the project may use the same APIs.
  disable_on_destroy = false
}

# The Pub/Sub service agent exists once the API is enabled; this makes it explicit and gives its email.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.enabled]
}

# ---------------------------------------------------------------------------------------------------
# One source archive for all five functions, named by its content hash.
# scripts/package-functions.mjs writes the folder; the hash below is computed by Terraform from the
# folder's content (sorted "path sha256" lines, the same formula the script prints), so any change to
# the built code changes the object name and every function is rebuilt from it.
# ---------------------------------------------------------------------------------------------------

locals {
  functions_source_dir   = coalesce(var.functions_source_dir, "${local.repo_root}/dist/functions-source")
  functions_source_files = sort(fileset(local.functions_source_dir, "**"))
  functions_source_sha256 = sha256(join("\n", [
    for f in local.functions_source_files : "${f} ${filesha256("${local.functions_source_dir}/${f}")}"
  ]))
  functions_source_object = "functions-source-${local.functions_source_sha256}.zip"
}

data "archive_file" "functions_source" {
  type        = "zip"
  source_dir  = local.functions_source_dir
  output_path = "${path.root}/.build/${local.functions_source_object}"

  lifecycle {
    precondition {
      condition     = contains(local.functions_source_files, "package.json") && contains(local.functions_source_files, "index.js")
      error_message = "The functions source folder is missing or incomplete: run `npm run package:functions` first (docs/deploy.md)."
    }
  }
}

resource "google_storage_bucket" "functions_source" {
  project                     = var.project_id
  name                        = "${var.project_id}-driftcontrol-src"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "functions_source" {
  bucket = google_storage_bucket.functions_source.name
  name   = local.functions_source_object
  source = data.archive_file.functions_source.output_path
}

resource "google_artifact_registry_repository" "functions" {
  project       = var.project_id
  location      = var.region
  repository_id = "driftcontrol-functions"
  format        = "DOCKER"
  description   = "Images built from the driftcontrol functions source archive."
  labels        = local.labels

  depends_on = [google_project_service.enabled]
}

# Cloud Build runs as this account instead of the default compute account, which often holds
# roles/editor. The three grants below are the documented minimum for building a function.
# https://cloud.google.com/functions/docs/securing/build-custom-sa
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "dc-functions-build"
  display_name = "driftcontrol functions build"
}

resource "google_project_iam_member" "build_log_writer" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.build.email}"
}

resource "google_storage_bucket_iam_member" "build_source_reader" {
  bucket = google_storage_bucket.functions_source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}
