# BigQuery: the datasets of shared/contracts/topology.json (local.datasets), the mirror tables and the
# views from the warehouse SQL files (the same files the code's tests run, never copies), the audit
# table (local.audit_table) and the ticket classifications table (local.ticket_classifications_table).
#
# SQL file convention (docs/deploy.md, "Warehouse SQL files"; shared/warehouse/sql-files.ts deploys the
# same files the same way against the local BigQuery):
# - shared/warehouse/sql/ddl/<table>.sql: one `CREATE TABLE IF NOT EXISTS billing_mirror.<table>` per
#   file, run as-is in one script, in file name order. Must stay re-runnable: never CREATE OR REPLACE
#   TABLE or DROP (a redeploy would wipe the mirror).
# - shared/warehouse/sql/views/NN_<view_name>.sql: one view per file, a SELECT body (no CREATE), deployed
#   as billing_observability.<view_name>. Files run in file name order in one script, so a view may only
#   read views with a smaller NN.
# Tables and views are referenced dataset-qualified without a project (billing_mirror.stripe_invoices);
# BigQuery resolves them in the deploying project.
#
# Why scripts instead of one google_bigquery_table per view: BigQuery validates a view against the
# tables it reads when it is created, so layered views (raw -> _metadata_json -> _metadata -> drift)
# must be created in order, which for_each cannot express. The cost: removing a file does not drop its
# view (drop it by hand), and a hand-deleted view is only recreated by the next change of any file.

locals {
  warehouse_sql_dir = "${local.repo_root}/shared/warehouse/sql"
  # fileset() makes the set grow with the folders: a new file is deployed by the next apply.
  ddl_files  = sort(fileset("${local.warehouse_sql_dir}/ddl", "*.sql"))
  view_files = sort(fileset("${local.warehouse_sql_dir}/views", "*.sql"))

  # Statements are joined with ";" on its own line, so a trailing "-- comment" cannot swallow it.
  ddl_script = join("", [
    for f in local.ddl_files :
    "-- ${f}\n${replace(trimspace(file("${local.warehouse_sql_dir}/ddl/${f}")), "/;\\s*$/", "")}\n;\n"
  ])

  views = [
    for f in local.view_files : {
      file = f
      # NN_<view_name>.sql -> <view_name>; NN only orders the files.
      name = replace(trimsuffix(f, ".sql"), "/^[0-9]+_/", "")
      body = replace(trimspace(file("${local.warehouse_sql_dir}/views/${f}")), "/;\\s*$/", "")
    }
  ]

  views_script = join("", [
    for v in local.views :
    "-- ${v.file}\nCREATE OR REPLACE VIEW `${var.project_id}.${local.datasets.observability}.${v.name}` AS\n${v.body}\n;\n"
  ])

  audit_schema_path                  = "${local.repo_root}/shared/schemas/audit-table.bigquery.json"
  ticket_classifications_schema_path = "${local.repo_root}/shared/schemas/ticket-classifications.bigquery.json"

  # One per dataset key of topology.json (google_bigquery_dataset.this fails the plan for a key missing here).
  dataset_descriptions = {
    mirror        = "Nightly mirrors of Stripe and the company's stores (raw layer)."
    observability = "Observability views over the mirrors: metadata extraction, element classification, drift, the weekly ticket signal. Views only, no materializations."
    audit         = "Audit of every remediation attempt: check ${local.audit_table} first when remediation did not fire."
    tickets       = "The weekly ticket signal: one row per BILL and CUSTESC Jira ticket in ${local.ticket_classifications_table}, as each taxonomy version classified it (classify-tickets). The ticket views in the observability dataset read it."
  }
}

resource "google_bigquery_dataset" "this" {
  for_each = local.datasets

  project                    = var.project_id
  dataset_id                 = each.value
  location                   = var.bigquery_location
  description                = local.dataset_descriptions[each.key]
  labels                     = local.labels
  delete_contents_on_destroy = false

  depends_on = [google_project_service.enabled]
}

# A BigQuery job id can never be reused in a project, even after the job is gone; the random suffix,
# renewed whenever the script changes, keeps a revert to an earlier script from colliding.
resource "random_id" "mirror_ddl_job" {
  count = length(local.ddl_files) > 0 ? 1 : 0

  byte_length = 4
  keepers = {
    script_sha256 = sha256(local.ddl_script)
  }
}

resource "google_bigquery_job" "mirror_ddl" {
  count = length(local.ddl_files) > 0 ? 1 : 0

  project  = var.project_id
  location = var.bigquery_location
  job_id   = "driftcontrol_ddl_${substr(sha256(local.ddl_script), 0, 16)}_${random_id.mirror_ddl_job[0].hex}"
  labels   = local.labels

  query {
    query          = local.ddl_script
    use_legacy_sql = false
    # DDL and scripts must not carry dispositions (google_bigquery_job docs).
    create_disposition = ""
    write_disposition  = ""
  }

  lifecycle {
    postcondition {
      condition     = length(flatten([for s in self.status : s.error_result])) == 0
      error_message = "The mirror DDL script failed; see the job in the BigQuery console (bq show -j JOB_ID)."
    }
  }

  depends_on = [google_bigquery_dataset.this]
}

resource "random_id" "views_job" {
  count = length(local.view_files) > 0 ? 1 : 0

  byte_length = 4
  keepers = {
    script_sha256 = sha256(local.views_script)
  }
}

resource "google_bigquery_job" "views" {
  count = length(local.view_files) > 0 ? 1 : 0

  project  = var.project_id
  location = var.bigquery_location
  job_id   = "driftcontrol_views_${substr(sha256(local.views_script), 0, 16)}_${random_id.views_job[0].hex}"
  labels   = local.labels

  query {
    query              = local.views_script
    use_legacy_sql     = false
    create_disposition = ""
    write_disposition  = ""
  }

  lifecycle {
    postcondition {
      condition     = length(flatten([for s in self.status : s.error_result])) == 0
      error_message = "The views script failed; see the job in the BigQuery console (bq show -j JOB_ID)."
    }
  }

  # Views read the mirror tables: create those first.
  # The audit views read the audit table, the ticket views (13-16) the ticket classifications table.
  depends_on = [
    google_bigquery_dataset.this,
    google_bigquery_job.mirror_ddl,
    google_bigquery_table.audit,
    google_bigquery_table.tickets,
  ]
}

# Every attempt, whatever its outcome (docs/design.md, "Audit"). The schema is generated from the audit
# record in shared/domain/audit.ts (npm run schemas), so code and table cannot drift apart.
# Partitioned by day on started_at, clustered for "why didn't remediation fire for account X":
# account first, then outcome, then run.
resource "google_bigquery_table" "audit" {
  project     = var.project_id
  dataset_id  = google_bigquery_dataset.this["audit"].dataset_id
  table_id    = local.audit_table
  description = "One row per remediation attempt (applied, noop, blocked, dry_run, halted, excluded, failed, ...). Check this table first when investigating why remediation didn't fire."
  labels      = local.labels

  schema = file(local.audit_schema_path)

  time_partitioning {
    type          = "DAY"
    field         = "started_at"
    expiration_ms = var.audit_partition_expiration_days == null ? null : var.audit_partition_expiration_days * 86400000
  }

  clustering = ["account_id", "outcome", "run_id"]

  deletion_protection = var.bigquery_deletion_protection
}

# The weekly ticket signal (docs/deploy.md, "Jira"): one row per ticket, taxonomy version and
# classification run, streamed by classify-tickets (insertId = run, version and ticket key). The schema
# is generated from the row in code (shared/domain/ticket-classification.ts, npm run schemas), like the
# audit table's. Created in every deployment, with or without Jira: the ticket views read it, and the
# views script fails on a table that does not exist. Partitioned by day on week (the Monday of the
# ticket's ISO week: one partition a week), clustered for the digest's reads by version, then atom.
resource "google_bigquery_table" "tickets" {
  project     = var.project_id
  dataset_id  = google_bigquery_dataset.this["tickets"].dataset_id
  table_id    = local.ticket_classifications_table
  description = "One row per Jira ticket (BILL, CUSTESC), taxonomy version and classification run: the ticket's atom, molecule, confidence, evidence and the account ids it names. The latest row per version and ticket is the view ticket_classifications_latest of the observability dataset."
  labels      = local.labels

  schema = file(local.ticket_classifications_schema_path)

  time_partitioning {
    type  = "DAY"
    field = "week"
  }

  clustering = ["taxonomy_version", "atom"]

  deletion_protection = var.bigquery_deletion_protection
}

# Operators investigate in the audit table and the drift views, and read the ticket views (which read
# the tickets dataset).
resource "google_bigquery_dataset_iam_member" "operator_reader" {
  for_each = {
    for pair in setproduct(["audit", "observability", "mirror", "tickets"], var.operator_members) : "${pair[0]}/${pair[1]}" => {
      dataset = pair[0]
      member  = pair[1]
    }
  }

  project    = var.project_id
  dataset_id = google_bigquery_dataset.this[each.value.dataset].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value.member
}

resource "google_project_iam_member" "operator_bigquery_job_user" {
  for_each = toset(var.operator_members)

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = each.value
}
