# Firestore holds the global config (kill switch, dry-run, thresholds), the run ledger, per-account
# gates and per-account leases/cooldowns, and the event path's ledger of Stripe events, pending checks
# and hourly budget (collections in shared/contracts/topology.json, local.collections).
#
# They live in a database of their own (var.firestore_database_id, "driftcontrol" by default), not in
# the project's (default) database. Firestore IAM is granted on the project, so a plain
# roles/datastore.user would reach every database of the project; a dedicated database lets every
# Firestore grant below and in functions.tf carry an IAM condition naming it, so driftcontrol's
# identities (and its operators through them) can touch nothing else in Firestore, and nothing else
# needs access to driftcontrol's kill switch.
#
# classify-tickets' week ledger (driftcontrol_ticket_runs) is the exception: it lives in a database of
# its own (google_firestore_database.tickets below), because classify-tickets reads untrusted ticket text
# and has internet egress (Jira Cloud), and must not be able to write the kill switch, gates, leases or
# Stripe rate shares. It uses no other collection, so its one Firestore grant names that database only.
#
# The config document config/driftcontrol is deliberately NOT managed here. A google_firestore_document
# would put the kill switch under Terraform: the next apply after an operator flips it (during an
# incident) would flip it back. The code treats a missing document as its safe defaults, and operators
# set it with the CLI (docs/deploy.md, "After the first apply").

resource "google_firestore_database" "driftcontrol" {
  count = var.create_firestore_database ? 1 : 0

  project     = var.project_id
  name        = var.firestore_database_id
  location_id = var.firestore_location_id
  type        = "FIRESTORE_NATIVE"
  # Leases and the run ledger rely on transactions that lock what they read.
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  # terraform destroy must not delete the kill switch, ledger and leases with the database.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# The previous layout kept the control state in the project's (default) database
# (google_firestore_database.default[0]). Terraform forgets that database instead of destroying it:
# it may hold other applications' data, and it holds driftcontrol's state until it is copied to the
# dedicated database (docs/deploy.md, "Moving the control state to the dedicated Firestore
# database"). A deployment that keeps firestore_database_id = "(default)" moves its state entry
# instead: terraform state mv 'google_firestore_database.default[0]' 'google_firestore_database.driftcontrol[0]'
# before the first apply of this layout. Keep this block until every deployment has applied once.
removed {
  from = google_firestore_database.default

  lifecycle {
    destroy = false
  }
}

locals {
  # The database id the code reads as FIRESTORE_DATABASE (functions.tf) and the IAM conditions name.
  # Read from the variable, not from the resource, so it is known when planning even when the database
  # is not created here (create_firestore_database = false).
  firestore_database = var.firestore_database_id

  # The condition every Firestore grant of this module carries: the grant applies to driftcontrol's
  # database only. Firestore documents per-database access as a project-level binding with exactly this
  # condition on resource.name ("Configure per-database access permissions"):
  # https://cloud.google.com/firestore/docs/manage-databases#configure_per-database_access_permissions
  # The console does not evaluate database-level conditions (same page): operators use the CLI.
  firestore_iam_condition = {
    title       = "driftcontrol-firestore-only"
    description = "Only the Firestore database holding driftcontrol's control state."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${local.firestore_database}\""
  }
}

# classify-tickets' week ledger (driftcontrol_ticket_runs: one small document per taxonomy version and
# week, claimed in a transaction) and nothing else: classify-tickets' FIRESTORE_DATABASE
# (functions.tf) and the one database its Firestore grant names. Created only when classify-tickets is
# deployed (var.jira_base_url set: local.deployed_functions), like its secret and scheduler job, so a
# deployment without Jira plans nothing for it. Same settings as driftcontrol's database: the ledger's
# claim is a transaction that locks what it reads; delete protection, and terraform destroy (or emptying
# jira_base_url) forgets the database instead of deleting it: import it to set Jira again (docs/deploy.md,
# "Jira"). Only lookups by document id: no index, no TTL.
resource "google_firestore_database" "tickets" {
  count = length(local.tickets_firestore_functions) > 0 ? 1 : 0

  project                           = var.project_id
  name                              = local.tickets_firestore_database
  location_id                       = var.firestore_location_id
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.enabled]
}

locals {
  # The functions whose Firestore use is the ticket ledger alone: classify-tickets, when it is deployed.
  # Read from the topology and variables only, so the count above and the grant in functions.tf are
  # known when planning.
  tickets_firestore_functions = [for fn in ["classify-tickets"] : fn if contains(local.deployed_function_names, fn)]

  # The ticket ledger's database id: classify-tickets' FIRESTORE_DATABASE, the condition below. From the
  # variable, like local.firestore_database, so it is known when planning.
  tickets_firestore_database = var.tickets_firestore_database_id

  # The condition of classify-tickets' Firestore grant, in the same form as local.firestore_iam_condition:
  # the ticket ledger's database only, never driftcontrol's control state.
  tickets_firestore_iam_condition = {
    title       = "driftcontrol-tickets-firestore-only"
    description = "Only the Firestore database holding classify-tickets' week ledger."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${local.tickets_firestore_database}\""
  }
}

# Composite index for the run ledger listing ("last runs of system X", newest first) used by the
# operator CLI. Single-field lookups (documents keyed by account id, system/date) need no index.
resource "google_firestore_index" "runs_by_system_and_date" {
  project    = var.project_id
  database   = local.firestore_database
  collection = local.collections.runs

  fields {
    field_path = "system"
    order      = "ASCENDING"
  }

  fields {
    field_path = "snapshot_date"
    order      = "DESCENDING"
  }

  depends_on = [google_firestore_database.driftcontrol]
}

# TTL policies: Firestore deletes a document of these collections once its `expireAt` timestamp has
# passed (typically within a day after it, never before), so the event path's Firestore state stays
# small without a cleanup job. Stripe retries an undelivered event for up to 3 days, so the event
# ledger (driftcontrol_events, stripe-events de-duplicates by event id) keeps each id 4 days
# (EVENT_RETENTION_MS in shared/adapters/firestore-events.ts sets expireAt): a redelivery within
# Stripe's retries is still recognised. The hourly budget counters (driftcontrol_event_budget) expire
# 2 days after their hour. Pending checks carry no expireAt: event-sweeper deletes each once handed on.
# In the database the functions use (FIRESTORE_DATABASE = local.firestore_database).
# https://cloud.google.com/firestore/docs/ttl
locals {
  # Collection keys of topology.json whose documents carry expireAt.
  firestore_ttl_collections = ["events", "eventBudget"]
}

resource "google_firestore_field" "expire_at_ttl" {
  for_each = toset(local.firestore_ttl_collections)

  project    = var.project_id
  database   = local.firestore_database
  collection = local.collections[each.key]
  field      = "expireAt"

  ttl_config {}

  # Nothing queries expireAt, and an indexed timestamp that only grows is a write hotspot Firestore
  # advises against for TTL fields: no single-field index on it.
  index_config {}

  depends_on = [google_firestore_database.driftcontrol]
}

# Operators flip the kill switch and dry-run in config/driftcontrol (`driftcontrol config set` reads
# and writes) and edit per-account gates, so they need write access, not viewer: an on-call who cannot
# set the kill switch during an incident has no brake. Only on driftcontrol's database (the condition).
resource "google_project_iam_member" "operator_firestore" {
  for_each = toset(var.operator_members)

  project = var.project_id
  role    = "roles/datastore.user"
  member  = each.value

  condition {
    title       = local.firestore_iam_condition.title
    description = local.firestore_iam_condition.description
    expression  = local.firestore_iam_condition.expression
  }

  depends_on = [google_firestore_database.driftcontrol]
}
