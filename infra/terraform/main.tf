# Billing drift control: the deployment of the shape in docs/design.md ("The shape").
#
# The topology (function names, entry points, triggers, the topics each function publishes to,
# datasets, the audit and ticket classifications tables, Firestore collections) is data in
# shared/contracts/topology.json, read here with jsondecode() and by the code through
# shared/contracts/topology.ts: one copy for both. No name below repeats it; test/infra/*.test.ts
# evaluates these locals and holds them to the code.
#
# Files: main.tf (this: the topology, shared locals, APIs, source archive, build identity), pubsub.tf,
# functions.tf, scheduler.tf, firestore.tf, bigquery.tf, secrets.tf, monitoring.tf, console.tf (the
# support console's load balancer and Identity-Aware Proxy), moved.tf (addresses of the previous layout).

locals {
  repo_root = abspath("${path.module}/../..")

  topology = jsondecode(file("${local.repo_root}/shared/contracts/topology.json"))

  # Topic key (camelCase, as the code names it) -> topic name.
  topics = local.topology.topics

  # Topics another team owns (topology.json externalTopics: the OPE team's change topic). This
  # deployment never creates one, never grants anything on one and never publishes to one: it only
  # subscribes to it, at the id the deployment gives (local.external_topic_ids). Their names in
  # topology.json are the stand-ins the local stack creates.
  external_topic_keys = toset(local.topology.externalTopics)

  # The hop topics: the topics this deployment creates and grants on (pubsub.tf), every topic but the
  # external ones.
  hop_topics = { for k, name in local.topics : k => name if !contains(local.external_topic_keys, k) }

  # External topic key -> full id (projects/PROJECT/topics/NAME) of the existing topic the deployment
  # subscribes to, or null when it does not consume that topic (variable null or empty). One entry per
  # key of externalTopics (test/infra holds the two together): a function fed by an external topic
  # missing here fails the plan.
  external_topic_ids = {
    opeChanges = var.ope_change_topic_id == "" ? null : var.ope_change_topic_id
  }

  # The same ids split into project and topic name (the validation of each variable guarantees the form).
  # The topic may live in another project: the push subscription is created in this one (modules/function).
  external_topics = {
    for k, id in local.external_topic_ids : k => id == null ? null : {
      project_id = regex("^projects/([^/]+)/topics/([^/]+)$", id)[0]
      name       = regex("^projects/([^/]+)/topics/([^/]+)$", id)[1]
    }
  }

  # Function name -> what modules/function needs from the topology. An HTTP function has no trigger
  # topic. With message ordering, Pub/Sub delivers one message per ordering key (account or zone id) at
  # a time, in publish order; the audit writer's rows carry their own ids and times and need none.
  functions = {
    for name, f in local.topology.functions : name => {
      entry_point       = f.entryPoint
      description       = f.description
      trigger_topic_key = f.trigger.kind == "pubsub" ? f.trigger.topic : null
      message_ordering  = f.trigger.kind == "pubsub" ? f.trigger.messageOrdering : false
    }
  }
  function_names = keys(local.functions)

  # Functions that need something the deployment may not have, and whether it names it (a non-empty
  # variable): classify-tickets reads Jira (var.jira_base_url); the console is served to people at a
  # hostname (var.console_domain: its certificate and IAP load balancer, console.tf). Every function not
  # listed here needs nothing optional but, for a consumer of an external topic, that topic (below).
  optional_functions_enabled = {
    "classify-tickets" = var.jira_base_url != ""
    "console"          = var.console_domain != ""
  }

  # The functions this deployment runs (module.function in functions.tf): every function of the topology
  # but one fed by an external topic the deployment does not name (local.external_topic_ids null), and
  # one whose system the deployment does not name (local.optional_functions_enabled false). Without its
  # topic such a function could never receive a message, without Jira classify-tickets could never
  # read a ticket, and without a hostname nobody could reach the console, so it is not deployed at all:
  # no function, identity, grant, secret, subscription, dead letter, scheduler job, load balancer or
  # alert, rather than an idle function holding Firestore, BigQuery and publish rights it never uses; and
  # a deployment that does not set the variable plans no change for it. Read from the topology and
  # variables only, so the keys are known when planning.
  deployed_functions = {
    for name, f in local.functions : name => f
    if lookup(local.optional_functions_enabled, name, true) && (f.trigger_topic_key == null ? true : (
      contains(local.external_topic_keys, f.trigger_topic_key) ? local.external_topic_ids[f.trigger_topic_key] != null : true
    ))
  }
  deployed_function_names = keys(local.deployed_functions)

  # A function may publish only to the topics listed for it, and gets roles/pubsub.publisher on
  # exactly these (pubsub.tf), which are never external topics (a precondition there refuses one).
  publishes = { for name, f in local.topology.functions : name => f.publishes }

  # Dataset key -> dataset id, the audit table, the ticket classifications table (in the tickets
  # dataset), collection key -> collection name.
  datasets                     = local.topology.datasets
  audit_table                  = local.topology.auditTable
  ticket_classifications_table = local.topology.ticketClassificationsTable
  collections                  = local.topology.collections

  # Drift systems (DriftSystem in shared/domain/audit.ts): one scheduler job each.
  drift_systems = ["stripe", "www"]

  labels = merge(var.labels, { app = "driftcontrol" })

  # The console's load balancer and IAP need two more (local.console_apis, console.tf), only with it.
  apis = concat([
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
  ], local.console_apis)
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
# One source archive for all the functions, named by its content hash.
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
