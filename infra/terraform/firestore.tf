# Firestore holds the global config (kill switch, dry-run, thresholds), the run ledger, per-account
# gates and per-account leases/cooldowns (collections in shared/contracts/topology.json, local.collections).
#
# The config document config/driftcontrol is deliberately NOT managed here. A google_firestore_document
# would put the kill switch under Terraform: the next apply after an operator flips it (during an
# incident) would flip it back. The code treats a missing document as its safe defaults, and operators
# set it with the CLI (docs/deploy.md, "After the first apply").

resource "google_firestore_database" "default" {
  count = var.create_firestore_database ? 1 : 0

  project     = var.project_id
  name        = "(default)"
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

locals {
  firestore_database = var.create_firestore_database ? google_firestore_database.default[0].name : "(default)"
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
}

# Operators flip the kill switch and dry-run in config/driftcontrol and edit per-account gates.
resource "google_project_iam_member" "operator_firestore" {
  for_each = toset(var.operator_members)

  project = var.project_id
  role    = "roles/datastore.user"
  member  = each.value
}
