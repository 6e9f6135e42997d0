# The Stripe secret key. Terraform creates the secret container only: no google_secret_manager_secret_version
# here, so the key never appears in code, plan output or state. An operator adds the value with
# `gcloud secrets versions add` (docs/deploy.md); gather and plan-apply read it at runtime as
# STRIPE_API_KEY and are the only identities granted access (local.function_secret_environment in
# functions.tf; modules/function grants it).
resource "google_secret_manager_secret" "stripe" {
  project   = var.project_id
  secret_id = var.stripe_secret_id
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
