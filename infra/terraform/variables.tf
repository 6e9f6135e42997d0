# Every variable is typed, described, and carries its unit in its name (_s, _min, _mb, _days, _per_s).
# docs/deploy.md explains each one for a platform engineer.

# ---------------------------------------------------------------------------------------------------
# Project and locations
# ---------------------------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "Google Cloud project to deploy into. One deployment per project: topic and table names are fixed by shared/contracts/topology.json."
}

variable "region" {
  type        = string
  description = "Region for the functions, Cloud Scheduler jobs, the source bucket and the Artifact Registry repository."
  default     = "us-central1"
}

variable "bigquery_location" {
  type        = string
  description = "Location of the BigQuery datasets. Must be the location of the nightly mirror data (a view cannot read across locations)."
  default     = "US"
}

variable "firestore_location_id" {
  type        = string
  description = "Location of driftcontrol's Firestore database (firestore_database_id), e.g. nam5 or a region. Cannot be changed after creation."
  default     = "nam5"
}

variable "firestore_database_id" {
  type        = string
  description = "Id of the Firestore database holding driftcontrol's control state (config document, run ledger, gates, leases), passed to the functions as FIRESTORE_DATABASE (but classify-tickets: tickets_firestore_database_id). Every Firestore grant is conditioned on this database (firestore.tf), but classify-tickets' (on its ledger's database), so a dedicated database keeps driftcontrol's identities out of any other Firestore data of the project. (default) is accepted for a deployment that has not copied its state yet (docs/deploy.md, \"Moving the control state to the dedicated Firestore database\")."
  default     = "driftcontrol"

  # The form the code accepts for FIRESTORE_DATABASE (shared/adapters/environment.ts) and Firestore
  # accepts for a database id.
  validation {
    condition     = can(regex("^(\\(default\\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$", var.firestore_database_id))
    error_message = "firestore_database_id must be (default) or 4-63 lower-case letters, digits and dashes, starting with a letter and not ending with a dash."
  }
}

variable "create_firestore_database" {
  type        = bool
  description = "Create the Firestore database firestore_database_id. Set false when it exists already (or import it: docs/deploy.md)."
  default     = true
}

variable "tickets_firestore_database_id" {
  type        = string
  description = "Id of the Firestore database holding classify-tickets' week ledger (driftcontrol_ticket_runs) and nothing else, passed to classify-tickets as FIRESTORE_DATABASE; created in firestore_location_id when classify-tickets is deployed (jira_base_url set). classify-tickets' only Firestore grant is conditioned on this database, so the function that reads untrusted ticket text with internet egress cannot touch the control state in firestore_database_id (kill switch, gates, leases, Stripe rate shares). Must differ from firestore_database_id."
  default     = "driftcontrol-tickets"

  # A named database (never (default), which other applications may use), in the form Firestore accepts.
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.tickets_firestore_database_id))
    error_message = "tickets_firestore_database_id must be 4-63 lower-case letters, digits and dashes, starting with a letter and not ending with a dash."
  }

  # The same database would give classify-tickets the control state again.
  validation {
    condition     = var.tickets_firestore_database_id != var.firestore_database_id
    error_message = "tickets_firestore_database_id must differ from firestore_database_id: classify-tickets must not reach driftcontrol's control state."
  }
}

variable "enable_apis" {
  type        = bool
  description = "Enable the Google APIs the system needs. Set false when a project factory already does it. APIs are never disabled on destroy."
  default     = true
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every labelable resource (functions, topics, subscriptions, datasets, bucket, secret)."
  default     = {}
}

# ---------------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------------

variable "functions_source_dir" {
  type        = string
  description = "Folder written by `npm run package:functions` (built code + production package.json). Null means <repo>/dist/functions-source."
  default     = null
}

variable "function_settings_overrides" {
  type = map(object({
    memory_mb               = optional(number)
    cpu                     = optional(string)
    timeout_s               = optional(number)
    min_instances           = optional(number)
    max_instances           = optional(number)
    max_concurrent_requests = optional(number)
  }))
  description = "Per-function overrides of the sizing defaults in functions.tf, keyed by function name of shared/contracts/topology.json (detect-drift, gather, plan-apply, www-resync, audit-writer, stripe-events, event-sweeper, ope-events, classify-tickets, console). Only the attributes given are overridden."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.function_settings_overrides) : contains(local.function_names, k)])
    error_message = "function_settings_overrides keys must be function names from shared/contracts/topology.json."
  }
}

variable "ingress_settings" {
  type        = string
  description = "Network ingress of every function that requires an authenticated invoker, unless ingress_settings_overrides says otherwise: ALLOW_INTERNAL_ONLY (default: every caller of those is Cloud Scheduler or a Pub/Sub push subscription of this project, which Cloud Run counts as internal when it calls the run.app URL, or an operator calling classify-tickets from inside the project's network; docs/deploy.md, \"Ingress\"), ALLOW_INTERNAL_AND_GCLB or ALLOW_ALL. Every call to them still needs an authenticated invoker either way. Not applied to stripe-events, the one function without one (Stripe's webhooks come from the internet): it is ALLOW_ALL unless ingress_settings_overrides names it; nor to the console, ALLOW_INTERNAL_AND_GCLB behind its IAP load balancer."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "ingress_settings_overrides" {
  type        = map(string)
  description = "Ingress of single functions, keyed by function name of shared/contracts/topology.json, overriding ingress_settings (or stripe-events' ALLOW_ALL) for them only (e.g. { \"detect-drift\" = \"ALLOW_ALL\" } if its scheduler job lived in another project, or { \"stripe-events\" = \"ALLOW_INTERNAL_AND_GCLB\" } behind a load balancer). Values as for ingress_settings."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.ingress_settings_overrides) : contains(local.function_names, k)])
    error_message = "ingress_settings_overrides keys must be function names from shared/contracts/topology.json."
  }

  validation {
    condition     = alltrue([for v in values(var.ingress_settings_overrides) : contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], v)])
    error_message = "ingress_settings_overrides values must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }

  # The console is reached through its load balancer, where IAP checks every person: internal-only would
  # refuse the load balancer, and ALLOW_ALL would only open a way around it.
  validation {
    condition     = lookup(var.ingress_settings_overrides, "console", "ALLOW_INTERNAL_AND_GCLB") == "ALLOW_INTERNAL_AND_GCLB"
    error_message = "ingress_settings_overrides may not change the console's ingress: it is ALLOW_INTERNAL_AND_GCLB, behind its IAP load balancer."
  }
}

variable "vpc_connector" {
  type        = string
  description = "Serverless VPC Access connector id (projects/P/locations/R/connectors/NAME, in var.region) through which gather, plan-apply, www-resync, stripe-events and the console reach the internal services (subs-api, www) and the read replicas of the OPE, billing_prod and cf_prod databases, or null when they are reachable without one. Its network must route to all of them."
  default     = null
}

variable "vpc_connector_egress_settings" {
  type        = string
  description = "Egress of the functions that use vpc_connector: PRIVATE_RANGES_ONLY (default: only private addresses, i.e. the internal services and replicas, go through the connector; Stripe and Google APIs are reached directly) or ALL_TRAFFIC (everything, Stripe included, goes through the VPC, which then needs Cloud NAT or another route to the internet). Only used with vpc_connector."
  default     = "PRIVATE_RANGES_ONLY"

  validation {
    condition     = contains(["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"], var.vpc_connector_egress_settings)
    error_message = "vpc_connector_egress_settings must be PRIVATE_RANGES_ONLY or ALL_TRAFFIC."
  }
}

variable "subs_api_base_url" {
  type        = string
  description = "Base URL (http or https) of subs-api, passed as SUBS_API_URL to gather and plan-apply (the account records subs_account, subs_customer, subs_dunning, read live), to www-resync (source of truth for WWW drift) to stripe-events (subs_customer: which accounts a Stripe customer belongs to) and to the console (search, and a live gather on request). Empty: those functions start, but fail every message or webhook that needs subs-api."
  default     = ""

  validation {
    condition     = var.subs_api_base_url == "" || can(regex("^https?://[^[:space:]]+$", var.subs_api_base_url))
    error_message = "subs_api_base_url must be an http(s) URL, e.g. https://subs-api.internal.example.com."
  }
}

variable "www_base_url" {
  type        = string
  description = "Base URL (http or https) of the www API that www-resync writes to, passed as WWW_API_URL. Empty: www-resync starts, but fails every message that needs www."
  default     = ""

  validation {
    condition     = var.www_base_url == "" || can(regex("^https?://[^[:space:]]+$", var.www_base_url))
    error_message = "www_base_url must be an http(s) URL, e.g. https://www-api.internal.example.com."
  }
}

variable "extra_environment_variables" {
  type        = map(map(string))
  description = "Additional plain environment variables per function name of shared/contracts/topology.json (never secrets: they are stored in state)."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_environment_variables) : contains(local.function_names, k)])
    error_message = "extra_environment_variables keys must be function names from shared/contracts/topology.json."
  }

  # A secret set here would be stored in state, and next to its Secret Manager mount the function would
  # not start (the code refuses NAME and NAME_FILE together).
  validation {
    condition = alltrue(flatten([
      for fn, env in var.extra_environment_variables : [
        for name in keys(env) : !contains(local.secret_environment_names, name)
      ]
    ]))
    error_message = "extra_environment_variables must not set a secret (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, JIRA_API_TOKEN, OPE_DATABASE_URL, BILLING_PROD_DATABASE_URL, CF_PROD_DATABASE_URL, or their _FILE forms): secrets come from Secret Manager (function_secret_environment in functions.tf)."
  }

  # The console's read-only Stripe port and its IAP audience are Terraform's to set (console only): an
  # extra could turn the read-only lock off or point the IAP check at another backend.
  validation {
    condition     = alltrue([for fn, env in var.extra_environment_variables : !anytrue([for name in ["STRIPE_READ_ONLY", "IAP_AUDIENCE", "IAP_PUBLIC_KEYS_URL"] : contains(keys(env), name)])])
    error_message = "extra_environment_variables must not set STRIPE_READ_ONLY, IAP_AUDIENCE or IAP_PUBLIC_KEYS_URL: Terraform sets the console's (functions.tf)."
  }

  # The Firestore grants are conditioned on firestore_database_id: a function pointed at another
  # database here would only meet PERMISSION_DENIED.
  validation {
    condition     = alltrue([for fn, env in var.extra_environment_variables : !contains(keys(env), "FIRESTORE_DATABASE")])
    error_message = "extra_environment_variables must not set FIRESTORE_DATABASE: set firestore_database_id (the Firestore IAM conditions follow it)."
  }
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function (pino levels: debug, info, warn, error)."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

# ---------------------------------------------------------------------------------------------------
# Stripe
# ---------------------------------------------------------------------------------------------------

# Two restricted keys, one per function that calls Stripe, instead of one full secret key: gather only
# reads, so a leak of its key cannot write; plan-apply's key writes only the objects a heal changes.
# Which permissions to tick in the Stripe dashboard: docs/deploy.md, "Stripe restricted keys".

variable "stripe_gather_secret_id" {
  type        = string
  description = "Secret Manager secret id holding gather's Stripe restricted key (read-only: Customers, Subscriptions, Invoices, PaymentMethods), mounted into gather only as STRIPE_API_KEY. Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "stripe-gather-restricted-key"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.stripe_gather_secret_id))
    error_message = "stripe_gather_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }
}

variable "stripe_plan_apply_secret_id" {
  type        = string
  description = "Secret Manager secret id holding plan-apply's Stripe restricted key (the reads gather's key has, plus write on Subscriptions, Customers and Invoices), mounted into plan-apply only as STRIPE_API_KEY. Must differ from stripe_gather_secret_id. Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "stripe-plan-apply-restricted-key"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.stripe_plan_apply_secret_id))
    error_message = "stripe_plan_apply_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }

  # One secret for both would hand gather the write key again.
  validation {
    condition     = var.stripe_plan_apply_secret_id != var.stripe_gather_secret_id
    error_message = "stripe_plan_apply_secret_id must differ from stripe_gather_secret_id: gather must never be able to read plan-apply's write key."
  }
}

# The webhook endpoint's signing secret, for stripe-events only. Not an API key: it verifies what Stripe
# sends and calls nothing. Docs: docs/deploy.md, "Stripe webhooks".

variable "stripe_webhook_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the signing secret (whsec_…) of the Stripe webhook endpoint that calls stripe-events, mounted into stripe-events only as STRIPE_WEBHOOK_SECRET: the check of every request to that public function. Must differ from the Stripe key secrets. Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "stripe-webhook-signing-secret"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.stripe_webhook_secret_id))
    error_message = "stripe_webhook_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }

  # One secret for both would mount a Stripe key into the public function, or the signing secret into
  # gather or plan-apply.
  validation {
    condition     = !contains([var.stripe_gather_secret_id, var.stripe_plan_apply_secret_id], var.stripe_webhook_secret_id)
    error_message = "stripe_webhook_secret_id must differ from stripe_gather_secret_id and stripe_plan_apply_secret_id: stripe-events must never be able to read a Stripe API key."
  }
}

# ---------------------------------------------------------------------------------------------------
# Company stores read live (gather, plan-apply): the read replicas' URLs, as Secret Manager secrets
# ---------------------------------------------------------------------------------------------------

variable "ope_database_url_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the URL (postgres scheme, with a read-only user's credentials) of the OPE database's read replica, mounted as OPE_DATABASE_URL into gather, plan-apply and the console (a live gather). Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "ope-replica-database-url"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.ope_database_url_secret_id))
    error_message = "ope_database_url_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }
}

variable "billing_prod_database_url_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the URL (postgres scheme, with a read-only user's credentials) of the billing_prod database's read replica, mounted as BILLING_PROD_DATABASE_URL into gather, plan-apply and the console (a live gather). Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "billing-prod-replica-database-url"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.billing_prod_database_url_secret_id))
    error_message = "billing_prod_database_url_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }
}

variable "cf_prod_database_url_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the URL (postgres scheme, with a read-only user's credentials) of the cf_prod database's read replica, mounted as CF_PROD_DATABASE_URL into gather, plan-apply and the console (a live gather). Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md) and never enters state."
  default     = "cf-prod-replica-database-url"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.cf_prod_database_url_secret_id))
    error_message = "cf_prod_database_url_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }
}

# ---------------------------------------------------------------------------------------------------
# Company events: the OPE team's change topic (an external topic of topology.json), read by ope-events
# ---------------------------------------------------------------------------------------------------

variable "ope_change_topic_id" {
  type        = string
  description = "Full id (projects/PROJECT/topics/NAME) of the OPE team's existing change topic (account ids whose OPE subscriptions changed), possibly in another project. Terraform never creates it, grants on it or publishes to it: it creates ope-events' push subscription (and its dead letter) on it, in this project; the identity running Terraform needs pubsub.topics.attachSubscription on it (roles/pubsub.subscriber, granted by the OPE team: docs/deploy.md, \"OPE change events\"). Null or empty (the default): ope-events is not deployed at all, and nothing else changes."
  default     = null

  # Pub/Sub's forms: a project id (optionally domain-scoped, example.com:project) and a topic name of
  # 3-255 characters starting with a letter.
  validation {
    condition     = var.ope_change_topic_id == null || var.ope_change_topic_id == "" || can(regex("^projects/([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$", var.ope_change_topic_id))
    error_message = "ope_change_topic_id must be null, empty, or a full topic id projects/PROJECT/topics/NAME (e.g. projects/acme-ope-prod/topics/subscription-changes), not a bare topic name."
  }
}

# ---------------------------------------------------------------------------------------------------
# Jira: the weekly ticket signal (classify-tickets), deployed only with jira_base_url
# ---------------------------------------------------------------------------------------------------

variable "jira_base_url" {
  type        = string
  description = "Base URL of the company's Jira Cloud site (https://SITE.atlassian.net), passed to classify-tickets as JIRA_BASE_URL. Empty (the default): classify-tickets is not deployed at all (no function, identity, grant, secret or scheduler job of it), and nothing else changes; the tickets dataset, the ticket classifications table and the ticket views exist either way. docs/deploy.md, \"Jira\"."
  default     = ""
  nullable    = false

  # Only https: the API token travels with every request (Basic auth).
  validation {
    condition     = var.jira_base_url == "" || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$", var.jira_base_url))
    error_message = "jira_base_url must be empty or an https URL of a Jira site without a path, e.g. https://acme.atlassian.net."
  }
}

variable "jira_email" {
  type        = string
  description = "Email of the Jira API user classify-tickets reads tickets as (JIRA_EMAIL; its token is the secret jira_api_token_secret_id). Required when jira_base_url is set. The user's Jira profile time zone must be UTC (JQL dates are read in the user's time zone) and it needs browse permission on the jira_projects only (docs/deploy.md, \"Jira\")."
  default     = ""
  nullable    = false

  validation {
    condition     = var.jira_email == "" ? var.jira_base_url == "" : can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", var.jira_email))
    error_message = "jira_email must be the email of the Jira API user (e.g. driftcontrol-jira@example.com), and is required when jira_base_url is set."
  }
}

variable "jira_projects" {
  type        = list(string)
  description = "Keys of the Jira projects whose tickets classify-tickets reads (JIRA_PROJECTS, comma-joined). The taxonomy is written for BILL and CUSTESC; the API user must be able to browse each."
  default     = ["BILL", "CUSTESC"]
  nullable    = false

  validation {
    condition     = length(var.jira_projects) > 0 && alltrue([for p in var.jira_projects : can(regex("^[A-Z][A-Z0-9_]*$", p))])
    error_message = "jira_projects must list at least one Jira project key (upper-case letters, digits and _, starting with a letter), e.g. [\"BILL\", \"CUSTESC\"]."
  }
}

variable "jira_account_id_field" {
  type        = string
  description = "Id of a Jira custom field holding the account ids a ticket names (JIRA_ACCOUNT_ID_FIELD, e.g. customfield_10042), read besides the ticket text. Null (the default): not set, account ids come from the ticket text only."
  default     = null

  validation {
    condition     = var.jira_account_id_field == null || can(regex("^customfield_[0-9]+$", var.jira_account_id_field))
    error_message = "jira_account_id_field must be null or a custom field id such as customfield_10042."
  }
}

variable "ticket_account_id_pattern" {
  type        = string
  description = "Regular expression (JavaScript syntax) of the account ids classify-tickets looks for in ticket text (TICKET_ACCOUNT_ID_PATTERN). Null (the default): not set, the code's default applies (Cloudflare account ids, 32 hexadecimal characters). The code refuses an invalid expression when it starts."
  default     = null

  validation {
    condition     = var.ticket_account_id_pattern == null || try(length(trimspace(var.ticket_account_id_pattern)) > 0, false)
    error_message = "ticket_account_id_pattern must be null (the code's default) or a non-empty regular expression."
  }
}

variable "taxonomy_version" {
  type        = string
  description = "Taxonomy version classify-tickets uses when a call names none (TAXONOMY_VERSION, e.g. v6: shared/tickets/taxonomy/v6.yaml). Null (the default): not set, the newest version shipped with the code."
  default     = null

  validation {
    condition     = var.taxonomy_version == null || can(regex("^v[0-9]+$", var.taxonomy_version))
    error_message = "taxonomy_version must be null or a taxonomy version such as v6."
  }
}

variable "jira_api_token_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the Jira API user's token, mounted into classify-tickets only as JIRA_API_TOKEN. Created only when jira_base_url is set. Must differ from the Stripe and replica secrets. Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md, \"Jira\") and never enters state."
  default     = "jira-api-token"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.jira_api_token_secret_id))
    error_message = "jira_api_token_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }

  # One secret for two would mount a Stripe key, the webhook signing secret or a replica URL into
  # classify-tickets, or the Jira token into a function that calls Stripe.
  validation {
    condition = !contains([
      var.stripe_gather_secret_id,
      var.stripe_plan_apply_secret_id,
      var.stripe_webhook_secret_id,
      var.ope_database_url_secret_id,
      var.billing_prod_database_url_secret_id,
      var.cf_prod_database_url_secret_id,
    ], var.jira_api_token_secret_id)
    error_message = "jira_api_token_secret_id must differ from the Stripe key, webhook and replica URL secrets: classify-tickets must read nothing but the Jira token."
  }
}

variable "tickets_schedule" {
  type        = string
  description = "Cron (Cloud Scheduler's unix-cron, read in UTC) of classify-tickets' weekly call. Each call classifies the ISO week (Monday 00:00 UTC to Monday) that ended before it: the default, Mondays 06:00 UTC, classifies the week that just ended, leaving a few hours for late edits."
  default     = "0 6 * * 1"
  nullable    = false

  validation {
    condition     = can(regex("^\\S+ \\S+ \\S+ \\S+ \\S+$", var.tickets_schedule))
    error_message = "tickets_schedule must be a five-field unix-cron expression, e.g. \"0 6 * * 1\"."
  }
}

# ---------------------------------------------------------------------------------------------------
# The support console (console): read-only pages for people, behind Identity-Aware Proxy on an external
# HTTPS load balancer (console.tf), deployed only with console_domain
# ---------------------------------------------------------------------------------------------------

variable "console_domain" {
  type        = string
  description = "Hostname people open the support console at (e.g. driftcontrol.support.example.com): the Google-managed certificate's domain; its DNS A record must point at the output console_ip_address. Empty (the default): the console is not deployed at all (no function, identity, grant, secret, load balancer or IAP of it), and nothing else changes. docs/deploy.md, \"Support console\"."
  default     = ""
  nullable    = false

  # A DNS name a managed certificate can cover: no scheme, path, port or wildcard.
  validation {
    condition     = var.console_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.console_domain))
    error_message = "console_domain must be empty or a lower-case hostname without scheme, port or path, e.g. driftcontrol.support.example.com."
  }
}

variable "console_members" {
  type        = list(string)
  description = "The people allowed through Identity-Aware Proxy to the support console (roles/iap.httpsResourceAccessor on its backend service only), as user: or group: principals, e.g. [\"group:billing-support@example.com\"]. They get nothing else: no invoker, dataset, Firestore or secret grant (the console reads as its own identity). Empty: the console is deployed but IAP lets nobody in."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for m in var.console_members : can(regex("^(user|group):[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", m))])
    error_message = "console_members must be user: or group: principals with an email (e.g. group:billing-support@example.com); service accounts, domains and public principals are not allowed."
  }
}

variable "stripe_console_secret_id" {
  type        = string
  description = "Secret Manager secret id holding the console's own Stripe restricted key, with Read (and nothing more) on Customers, Subscriptions, Invoices and PaymentMethods, mounted into the console only as STRIPE_API_KEY. Never gather's or plan-apply's key (a validation refuses the same secret). Created only when console_domain is set. Terraform creates the secret only; the value is added with `gcloud secrets versions add` (docs/deploy.md, \"Support console\") and never enters state."
  default     = "stripe-console-restricted-key"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.stripe_console_secret_id))
    error_message = "stripe_console_secret_id must be a Secret Manager secret id: letters, digits, _ and -, at most 255 characters."
  }

  # One secret for two would hand the console plan-apply's write key (or gather's key, budgeted through
  # Firestore leases the console does not take), or mount the console's key elsewhere.
  validation {
    condition = !contains([
      var.stripe_gather_secret_id,
      var.stripe_plan_apply_secret_id,
      var.stripe_webhook_secret_id,
      var.ope_database_url_secret_id,
      var.billing_prod_database_url_secret_id,
      var.cf_prod_database_url_secret_id,
      var.jira_api_token_secret_id,
    ], var.stripe_console_secret_id)
    error_message = "stripe_console_secret_id must differ from every other secret (the gather and plan-apply keys above all): the console must read with its own read-only key."
  }
}

variable "console_stripe_dashboard_url" {
  type        = string
  description = "Base URL of the Stripe dashboard the console links accounts to (STRIPE_DASHBOARD_URL, e.g. https://dashboard.stripe.com/acct_123). Null (the default): not set, the code picks it from the key's mode (https://dashboard.stripe.com, or .../test for a test key)."
  default     = null

  validation {
    condition     = var.console_stripe_dashboard_url == null || can(regex("^https://[^[:space:]]+$", var.console_stripe_dashboard_url))
    error_message = "console_stripe_dashboard_url must be null or an https URL, e.g. https://dashboard.stripe.com."
  }
}

# ---------------------------------------------------------------------------------------------------
# Scheduling (Cloud Scheduler -> detect-drift, one job per drift system; -> event-sweeper, every
# minute; -> classify-tickets, weekly: tickets_schedule above)
# ---------------------------------------------------------------------------------------------------

variable "mirror_landing_time_utc" {
  type        = string
  description = "Time of day (HH:MM, UTC) by which the nightly BigQuery mirror has normally landed."
  default     = "04:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.mirror_landing_time_utc))
    error_message = "mirror_landing_time_utc must be HH:MM in 24h UTC."
  }
}

variable "detect_delay_after_landing_min" {
  type        = number
  description = "Minutes after mirror_landing_time_utc at which detection runs. detect-drift still checks freshness itself and answers retryably if the mirror is late."
  default     = 30

  validation {
    condition     = var.detect_delay_after_landing_min >= 0 && var.detect_delay_after_landing_min < 1440
    error_message = "detect_delay_after_landing_min must be between 0 and 1439."
  }
}

variable "scheduler_retry_count" {
  type        = number
  description = "Retries of a failed detection call (for example, mirror not landed yet) and of a failed weekly classify-tickets call (Jira unavailable, the week held by another run). The run ledgers (detect-drift's, the ticket weeks') make retries safe."
  default     = 5

  validation {
    condition     = var.scheduler_retry_count >= 0 && var.scheduler_retry_count <= 5
    error_message = "scheduler_retry_count must be between 0 and 5 (Cloud Scheduler limit)."
  }
}

variable "scheduler_min_backoff_s" {
  type        = number
  description = "Seconds before the first Cloud Scheduler retry (detect-drift's and classify-tickets' jobs)."
  default     = 300
}

variable "scheduler_max_backoff_s" {
  type        = number
  description = "Upper bound in seconds of the Cloud Scheduler retry backoff."
  default     = 1800

  validation {
    condition     = var.scheduler_max_backoff_s >= var.scheduler_min_backoff_s
    error_message = "scheduler_max_backoff_s must be at least scheduler_min_backoff_s."
  }
}

variable "scheduler_max_doublings" {
  type        = number
  description = "How many times the Cloud Scheduler retry backoff doubles before growing linearly."
  default     = 3
}

variable "scheduler_paused" {
  type        = bool
  description = "Create the scheduler jobs (detect-drift's, event-sweeper's and classify-tickets') paused (for a first deploy, until the secrets' values and the config document are in place)."
  default     = false
}

# ---------------------------------------------------------------------------------------------------
# Pub/Sub
# ---------------------------------------------------------------------------------------------------

variable "pubsub_ack_deadline_s" {
  type        = number
  description = "Ack deadline of every push subscription in seconds (10-600). Each consumer's timeout_s must not exceed it."
  default     = 600
}

variable "pubsub_min_retry_backoff_s" {
  type        = number
  description = "Minimum redelivery backoff in seconds for a failed push."
  default     = 10
}

variable "pubsub_max_retry_backoff_s" {
  type        = number
  description = "Maximum redelivery backoff in seconds for a failed push (at most 600)."
  default     = 600
}

variable "pubsub_max_delivery_attempts" {
  type        = number
  description = "Deliveries before a message goes to its dead-letter topic (5-100)."
  default     = 10
}

variable "subscription_message_retention_s" {
  type        = number
  description = "Seconds every consumer subscription keeps messages, acknowledged ones included, for seek-based replay (max 604800 = 7 days)."
  default     = 604800
}

variable "topic_message_retention_s" {
  type        = number
  description = "Seconds every hop topic keeps published messages, so a subscription can seek to a time before it existed (600-2678400 = 31 days)."
  default     = 604800

  validation {
    condition     = var.topic_message_retention_s >= 600 && var.topic_message_retention_s <= 2678400
    error_message = "topic_message_retention_s must be between 600 and 2678400 (31 days)."
  }
}

variable "dead_letter_message_retention_s" {
  type        = number
  description = "Seconds dead-letter topics and their subscriptions keep messages (max 604800 = 7 days); the dead-letter alert fires well before."
  default     = 604800
}

# ---------------------------------------------------------------------------------------------------
# BigQuery
# ---------------------------------------------------------------------------------------------------

variable "audit_partition_expiration_days" {
  type        = number
  description = "Days an audit partition is kept; null keeps audit rows forever (the audit is the record of money moved)."
  default     = null
}

variable "bigquery_deletion_protection" {
  type        = bool
  description = "Refuse to destroy the audit table and the ticket classifications table from Terraform."
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# Operators and monitoring
# ---------------------------------------------------------------------------------------------------

variable "operator_members" {
  type        = list(string)
  description = "IAM principals of the on-call operators (e.g. group:billing-oncall@example.com): may publish to the replay entry topic only (driftcontrol replay), pull the dead-letter subscriptions, read the datasets, run queries, read and write driftcontrol's Firestore database only (kill switch, gates), and invoke classify-tickets (a given week, a backfill)."
  default     = []

  validation {
    condition     = alltrue([for m in var.operator_members : can(regex("^(user|group|serviceAccount):", m))])
    error_message = "operator_members must be user:, group: or serviceAccount: principals; public principals are not allowed."
  }
}

variable "notification_channel_ids" {
  type        = list(string)
  description = "Cloud Monitoring notification channel ids (projects/P/notificationChannels/ID) that receive every alert of this system."
  default     = []
}

variable "function_error_ratio_threshold" {
  type        = number
  description = "Share of a function's requests answered 5xx over function_error_window_s above which the error-rate alert fires (0-1)."
  default     = 0.1

  validation {
    condition     = var.function_error_ratio_threshold > 0 && var.function_error_ratio_threshold < 1
    error_message = "function_error_ratio_threshold must be between 0 and 1."
  }
}

variable "function_error_window_s" {
  type        = number
  description = "Seconds over which the function error ratio is measured and must stay above the threshold."
  default     = 600
}

variable "dead_letter_alert_threshold_messages" {
  type        = number
  description = "Undelivered messages in a dead-letter subscription above which the alert fires (0 = any message)."
  default     = 0
}

variable "stripe_webhook_refused_alert_threshold_deliveries" {
  type        = number
  description = "Webhook deliveries stripe-events refused (missing, bad or stale Stripe-Signature) within stripe_webhook_refused_alert_window_s above which the alert fires. The endpoint is public, so a few stray requests are normal; a run of them means a wrong signing secret (Stripe's own deliveries refused) or someone probing the endpoint."
  default     = 10

  validation {
    condition     = var.stripe_webhook_refused_alert_threshold_deliveries >= 0
    error_message = "stripe_webhook_refused_alert_threshold_deliveries must be at least 0."
  }
}

variable "stripe_webhook_refused_alert_window_s" {
  type        = number
  description = "Seconds over which refused webhook deliveries are summed for the refused-webhook alert (60-86400)."
  default     = 600

  validation {
    condition     = var.stripe_webhook_refused_alert_window_s >= 60 && var.stripe_webhook_refused_alert_window_s <= 86400
    error_message = "stripe_webhook_refused_alert_window_s must be between 60 and 86400."
  }
}
