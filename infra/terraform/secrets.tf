# Secrets of the functions that read the live truth (gather and plan-apply, and the console's live
# gather), of the one that receives Stripe's webhooks (stripe-events) and of the one that reads Jira
# (classify-tickets). Terraform creates the secret containers only: no
# google_secret_manager_secret_version here, so no value ever appears in code, plan output or state.
# An operator adds each value with `gcloud secrets versions add` (docs/deploy.md); the functions read
# them at runtime as secret environment variables, and the only identities granted access are the
# runtime service accounts of the functions that mount them (local.function_secret_environment in
# functions.tf; modules/function grants each function exactly the secrets it mounts).

locals {
  # One Stripe restricted key per function that calls Stripe, keyed by function name; each function
  # mounts its own as STRIPE_API_KEY (functions.tf) and can read no other. gather only reads Stripe;
  # plan-apply also writes subscriptions and the metadata of customers and invoices; the console (only
  # when it is deployed: console_domain set) reads, for people, with a read-only key of its own rather
  # than gather's, so revoking or rotating one never touches the other, and its Stripe port refuses
  # writes too (STRIPE_READ_ONLY). The permissions each key needs, to tick in the Stripe dashboard, are
  # in docs/deploy.md ("Stripe restricted keys"): https://docs.stripe.com/keys/restricted-api-keys
  stripe_keys = merge(
    {
      "gather"     = { secret_id = var.stripe_gather_secret_id, access = "read-only" }
      "plan-apply" = { secret_id = var.stripe_plan_apply_secret_id, access = "read-and-heal" }
    },
    { for fn in local.console_functions : fn => { secret_id = var.stripe_console_secret_id, access = "read-only" } },
  )
}

# The Stripe restricted keys (STRIPE_API_KEY of gather, of plan-apply, of the console), keyed by function
# name.
resource "google_secret_manager_secret" "stripe_key" {
  for_each = local.stripe_keys

  project   = var.project_id
  secret_id = each.value.secret_id
  labels    = merge(local.labels, { function = each.key, stripe_access = each.value.access })

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# The previous layout held one full Stripe secret key for both functions in
# google_secret_manager_secret.stripe (secret stripe-secret-key). The restricted keys are new secrets at
# a new address, and Terraform forgets the old one instead of destroying it, so the switch never deletes a key a running revision still mounts; once both
# functions run on their restricted keys, roll the old key in the Stripe dashboard and delete the
# secret by hand (docs/deploy.md, "Splitting the Stripe key"). Keep this block until every deployment
# has applied once.
removed {
  from = google_secret_manager_secret.stripe

  lifecycle {
    destroy = false
  }
}

locals {
  # The company stores gather and plan-apply (and the console, for a live gather) read live through read
  # replicas of their PostgreSQL databases (docs/design.md, "Live truth"): store -> the variable the code
  # reads (shared/adapters/environment.ts) and the secret holding the replica's URL. A URL carries a
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

# The signing secret of the Stripe webhook endpoint that calls stripe-events (whsec_…, shown once per
# endpoint in the Stripe dashboard; test and live mode endpoints each have their own). stripe-events
# mounts it as STRIPE_WEBHOOK_SECRET (functions.tf) and is the only function that may read it: it is
# what makes a request to that public function trustworthy (the HMAC of the Stripe-Signature header).
# Like the Stripe keys above, the value is added out of band with `gcloud secrets versions add`
# (docs/deploy.md, "Stripe webhooks") and never enters Terraform. It is not an API key: it lets its
# holder verify (and forge) deliveries to this endpoint, and call nothing at Stripe.
resource "google_secret_manager_secret" "stripe_webhook" {
  project   = var.project_id
  secret_id = var.stripe_webhook_secret_id
  labels    = merge(local.labels, { function = "stripe-events", stripe_access = "webhook-signing" })

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

locals {
  # The Jira API user's token, for classify-tickets only, keyed by function name like the Stripe keys,
  # and only when classify-tickets is deployed (local.deployed_functions: var.jira_base_url set), so a
  # deployment without Jira plans no secret for it.
  jira_token_secrets = {
    for fn in ["classify-tickets"] : fn => { secret_id = var.jira_api_token_secret_id }
    if contains(local.deployed_function_names, fn)
  }
}

# The API token of the Jira user classify-tickets reads tickets as (Basic auth with JIRA_EMAIL), mounted
# into classify-tickets only as JIRA_API_TOKEN (functions.tf). Like the secrets above, the value is
# added out of band with `gcloud secrets versions add` (docs/deploy.md, "Jira") and never enters
# Terraform. The token can do in Jira what its user may: browse BILL and CUSTESC, nothing else.
resource "google_secret_manager_secret" "jira_api_token" {
  for_each = local.jira_token_secrets

  project   = var.project_id
  secret_id = each.value.secret_id
  labels    = merge(local.labels, { function = each.key })

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}
