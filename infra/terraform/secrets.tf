# Secrets of the functions that read the live truth (gather and plan-apply). Terraform creates the
# secret containers only: no google_secret_manager_secret_version here, so no value ever appears in
# code, plan output or state. An operator adds each value with `gcloud secrets versions add`
# (docs/deploy.md); the functions read them at runtime as secret environment variables, and the only
# identities granted access are the runtime service accounts of the functions that mount them
# (local.function_secret_environment in functions.tf; modules/function grants each function exactly the
# secrets it mounts).

# The Stripe secret key (STRIPE_API_KEY of gather and plan-apply).
resource "google_secret_manager_secret" "stripe" {
  project   = var.project_id
  secret_id = var.stripe_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

locals {
  # The company stores gather and plan-apply read live through read replicas of their PostgreSQL
  # databases (docs/design.md, "Live truth"): store -> the variable the code reads
  # (shared/adapters/environment.ts) and the secret holding the replica's URL. A URL carries a
  # database user's credentials, so it is a secret like the Stripe key, never a plain variable.
  replica_databases = {
    ope          = { env = "OPE_DATABASE_URL", secret_id = var.ope_database_url_secret_id }
    billing_prod = { env = "BILLING_PROD_DATABASE_URL", secret_id = var.billing_prod_database_url_secret_id }
    cf_prod      = { env = "CF_PROD_DATABASE_URL", secret_id = var.cf_prod_database_url_secret_id }
  }
}

# One secret per replica URL, keyed by store (ope, billing_prod, cf_prod). The value is the URL of a
# read replica with a read-only database user (docs/deploy.md says why not the primary).
resource "google_secret_manager_secret" "replica_database_url" {
  for_each = local.replica_databases

  project   = var.project_id
  secret_id = each.value.secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
