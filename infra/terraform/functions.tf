# The functions of shared/contracts/topology.json (local.functions in main.tf), all deployed by one call
# of modules/function from one source archive. What differs between functions is data, in maps keyed by
# function name below (sizing, environment, secrets, VPC connector, invokers, who may call it without
# a Google identity); the module call only looks them up. Each of these maps names every function, so a
# function added to topology.json fails the plan until it is given its settings here.
# The module call and every grant below cover local.deployed_functions (main.tf): all of them, but
# ope-events when var.ope_change_topic_id is unset (it would have no topic to read), classify-tickets
# when var.jira_base_url is empty (it would have no Jira to read) and the console when
# var.console_domain is empty (nobody could reach it: its load balancer and IAP are in console.tf).

locals {
  # Sizing chosen per function; override per environment with var.function_settings_overrides.
  # Why these numbers:
  # - detect-drift: one call per drift system per night; runs BigQuery diff queries and publishes
  #   thousands of messages, so a long timeout; 2 instances because both systems fire at once, and
  #   concurrency 1 so a run never shares an instance's memory with the other.
  # - gather: I/O bound (subs-api, the three read replicas, Stripe reads with expand, Firestore), so
  #   concurrency 8; 10 instances cap concurrent gathers at 80.
  # - plan-apply: moves money; few instances (4, concurrency 4: at most 16 heals in flight) keep what
  #   runs at once small.
  # - Stripe's rate limit is not what these numbers bound. Every instance that calls Stripe (gather,
  #   plan-apply) leases a share of two budgets of the whole deployment, kept in the Firestore config
  #   document: stripeReadsPerSecond (default 50) and stripeWritesPerSecond (default 25). The leases
  #   live in one Firestore document per kind (read, write) in collection driftcontrol_stripe_rate_shares;
  #   shares are max-min fair over what each instance asks for, an instance may only grow into budget no
  #   other live lease holds, and a lease lasts 30 s. An instance with work renews it every 2 s or every
  #   (holders x 1 s), whichever is longer, capped at a third of the lease, so each document sees about
  #   one routine write a second whatever the instance count; sooner while its requests queue below its
  #   fair share; idle for 5 s, it gives its share back (docs/design.md, "Stripe's rate limit";
  #   shared/core/rate-shares.ts, shared/adapters/stripe/rate-budget.ts).
  #   So the deployment stays under the budgets, and under Stripe's limit, whatever max_instances is
  #   (overrides included): max_instances limits concurrency and the connections to the read replicas,
  #   not the Stripe rate. Operators set the budgets in the config document (driftcontrol config set),
  #   without a deploy; instances re-read them within 30 s (docs/deploy.md, "Stripe rate budgets").
  # - Each gather or plan-apply instance holds at most 4 connections per read replica (the pool of
  #   shared/adapters/replica/replica.ts), so at max_instances the two hold up to (10 + 4) x 4 = 56
  #   connections on each replica: size the replicas' connection limits (and the VPC connector) for it.
  # - www-resync: writes to the internal www API; modest parallelism (4 x 4) protects it.
  # - audit-writer: tiny streaming inserts; high concurrency, few instances, bounded for BigQuery quota.
  # - stripe-events: Stripe expects an answer within seconds (a slow one counts as a failed delivery
  #   and is retried), and each request is one signature check, one subs-api read and one Firestore
  #   transaction: 30 s timeout, concurrency 20 (I/O bound), 5 instances (100 deliveries in flight,
  #   well above what one Stripe account sends, and a bound on what a flood of forged requests, refused
  #   at the signature, can cost). Scale to zero: a cold start costs a few seconds, well inside
  #   Stripe's wait; set min_instances = 1 in function_settings_overrides to avoid even that.
  # - event-sweeper: one call a minute from the scheduler, one BigQuery query and a bounded batch of
  #   Firestore reads and publishes: 60 s timeout; max 1 instance with concurrency 1, so two sweeps
  #   never run at once (an overlapping call is refused and the next minute sweeps anyway).
  # - ope-events: one push per OPE change message (up to 500 account ids), one Firestore transaction
  #   writing a pending check per account: I/O bound, so concurrency 16; 2 instances (32 messages in
  #   flight) keep a burst of OPE changes from flooding Firestore, and what waits stays in the
  #   subscription; 60 s timeout, far below the push ack deadline.
  # - stripe-events, event-sweeper and ope-events load the same adapter factory (Firestore, BigQuery,
  #   Pub/Sub clients) as the others, so the same 512 MiB.
  # - classify-tickets: one call a week from the scheduler (Monday 06:00 UTC, the week that just ended),
  #   and operators' calls for a given week or a backfill. An instance loads an English NLP model and
  #   trains the classifier when it starts, then reads the week's tickets from Jira (about 55 a week, 100
  #   a page), classifies them, streams one row per ticket into BigQuery and queries the digest's views:
  #   512 MiB for the model and the training, a 300 s timeout so a whole week (a cold start and a few of
  #   Jira's Retry-After waits included) fits; 1 instance with concurrency 1, so two runs never share an
  #   instance's model or compete for Jira's rate limit (an overlapping call for the same week is
  #   answered 409 by the week's ledger, driftcontrol_ticket_runs, and the scheduler retries it later).
  # - console: pages for a few support engineers at a time, each a handful of BigQuery and Firestore
  #   reads, or on request a live gather of one account (the same reads as gather: subs-api, the three
  #   replicas, Stripe): I/O bound, so concurrency 8, and gather's 120 s timeout for the live gather.
  #   2 instances bound what it adds to the stores: up to 2 x 4 = 8 connections on each read replica
  #   (its pool is gather's), and Stripe reads outside the deployment's leased budget, since the console
  #   leases no share (STRIPE_READ_ONLY): each instance reads on its own STRIPE_READS_PER_SECOND (code
  #   default 5), so at most 10 a second; keep the leased read budget at least that far below Stripe's
  #   limit (docs/deploy.md, "Support console"). Scale to zero: a cold start costs a person a few
  #   seconds.
  # Every consumer's timeout stays below the 600 s push ack deadline, or Pub/Sub would redeliver a
  # message still being processed.
  function_defaults = {
    "detect-drift"     = { memory_mb = 1024, cpu = "1", timeout_s = 1500, min_instances = 0, max_instances = 2, max_concurrent_requests = 1 }
    "gather"           = { memory_mb = 512, cpu = "1", timeout_s = 120, min_instances = 0, max_instances = 10, max_concurrent_requests = 8 }
    "plan-apply"       = { memory_mb = 512, cpu = "1", timeout_s = 180, min_instances = 0, max_instances = 4, max_concurrent_requests = 4 }
    "www-resync"       = { memory_mb = 512, cpu = "1", timeout_s = 120, min_instances = 0, max_instances = 4, max_concurrent_requests = 4 }
    "audit-writer"     = { memory_mb = 512, cpu = "1", timeout_s = 60, min_instances = 0, max_instances = 3, max_concurrent_requests = 32 }
    "stripe-events"    = { memory_mb = 512, cpu = "1", timeout_s = 30, min_instances = 0, max_instances = 5, max_concurrent_requests = 20 }
    "event-sweeper"    = { memory_mb = 512, cpu = "1", timeout_s = 60, min_instances = 0, max_instances = 1, max_concurrent_requests = 1 }
    "ope-events"       = { memory_mb = 512, cpu = "1", timeout_s = 60, min_instances = 0, max_instances = 2, max_concurrent_requests = 16 }
    "classify-tickets" = { memory_mb = 512, cpu = "1", timeout_s = 300, min_instances = 0, max_instances = 1, max_concurrent_requests = 1 }
    "console"          = { memory_mb = 512, cpu = "1", timeout_s = 120, min_instances = 0, max_instances = 2, max_concurrent_requests = 8 }
  }

  function_settings = {
    for fn, defaults in local.function_defaults : fn => merge(
      defaults,
      { for k, v in try(var.function_settings_overrides[fn], {}) : k => v if v != null },
    )
  }

  # Environment every function gets. Every name here is one the adapter factory reads
  # (KNOWN_ENV_VARS in shared/adapters/environment.ts; test/infra/env-wiring.test.ts holds them together).
  # No log format variable: pino writes one JSON object per line on stdout, which Cloud Logging turns
  # into jsonPayload (the halted-run metric in monitoring.tf reads jsonPayload.outcome).
  common_env = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    BIGQUERY_LOCATION    = var.bigquery_location
    LOG_LEVEL            = var.log_level
  }

  # Plain environment each function gets besides common_env (and the operators' extras). gather and
  # plan-apply read the account records (subs_account, subs_customer, subs_dunning) from subs-api live;
  # www-resync reads subs-api's plan level and writes www; stripe-events maps a Stripe customer to its
  # accounts through subs_customer, read live from subs-api. STORE_TIMEOUT_MS and STORE_READ_RETRIES
  # keep the code's defaults (5000 ms, 2), and stripe-events STRIPE_WEBHOOK_TOLERANCE_S (300 s: how old
  # a signed delivery may be); set them per function with var.extra_environment_variables.
  # FIRESTORE_DATABASE goes to exactly the functions with a Firestore grant (local.firestore_roles and
  # local.tickets_firestore_functions below; test/infra holds them together): the database their
  # conditioned grants name (firestore.tf): driftcontrol's for all but classify-tickets, the ticket
  # ledger's own for classify-tickets.
  function_environment = {
    "detect-drift" = {
      FIRESTORE_DATABASE = local.firestore_database
    }
    "gather" = {
      FIRESTORE_DATABASE = local.firestore_database
      SUBS_API_URL       = var.subs_api_base_url
    }
    "plan-apply" = {
      FIRESTORE_DATABASE = local.firestore_database
      SUBS_API_URL       = var.subs_api_base_url
    }
    "www-resync" = {
      FIRESTORE_DATABASE = local.firestore_database
      SUBS_API_URL       = var.subs_api_base_url
      WWW_API_URL        = var.www_base_url
    }
    "audit-writer" = {}
    # Writes the event ledger and the pending checks, reads the config.
    "stripe-events" = {
      FIRESTORE_DATABASE = local.firestore_database
      SUBS_API_URL       = var.subs_api_base_url
    }
    # Reads the config and the due pending checks, deletes the handed ones, counts the hourly budget.
    "event-sweeper" = {
      FIRESTORE_DATABASE = local.firestore_database
    }
    # Reads the config, writes one pending check per account of an OPE change message (a transaction).
    "ope-events" = {
      FIRESTORE_DATABASE = local.firestore_database
    }
    # Claims each week in its ledger (driftcontrol_ticket_runs), in the ticket ledger's own database (the
    # code reads FIRESTORE_DATABASE for all its Firestore use, and classify-tickets uses no other
    # collection), and reads Jira Cloud over the internet (no connector) as the API user JIRA_EMAIL. The
    # optional settings are set only when their variable is, so the code's defaults apply otherwise (no
    # custom field: account ids from ticket text only; Cloudflare's 32-hex account ids; the newest
    # taxonomy shipped).
    "classify-tickets" = merge(
      {
        FIRESTORE_DATABASE = local.tickets_firestore_database
        JIRA_BASE_URL      = var.jira_base_url
        JIRA_EMAIL         = var.jira_email
        JIRA_PROJECTS      = join(",", var.jira_projects)
      },
      {
        for k, v in {
          JIRA_ACCOUNT_ID_FIELD     = var.jira_account_id_field
          TICKET_ACCOUNT_ID_PATTERN = var.ticket_account_id_pattern
          TAXONOMY_VERSION          = var.taxonomy_version
        } : k => v if v != null
      },
    )
    # Reads driftcontrol's control state (config, gates, the drift lifecycle) with a viewer grant,
    # subs-api and the replicas for search and a live gather (through the connector, like gather).
    # STRIPE_READ_ONLY: its Stripe port refuses every write and reads on a small budget of its own
    # without leasing a share in Firestore, which it could not write anyway. IAP_AUDIENCE: the console
    # serves only requests whose IAP assertion names its own backend service (console.tf), and refuses
    # everyone without it; the project number and the backend's numeric id are known once both exist.
    # STRIPE_DASHBOARD_URL only when its variable is set (the code picks it from the key's mode
    # otherwise); STRIPE_READS_PER_SECOND keeps the code's default (5).
    "console" = merge(
      {
        FIRESTORE_DATABASE = local.firestore_database
        SUBS_API_URL       = var.subs_api_base_url
        STRIPE_READ_ONLY   = "true"
      },
      { for fn in local.console_functions : "IAP_AUDIENCE" => local.console_iap_audiences[fn] },
      var.console_stripe_dashboard_url == null ? {} : { STRIPE_DASHBOARD_URL = var.console_stripe_dashboard_url },
    )
  }

  # Secrets are read at runtime from Secret Manager, never from Terraform. Each is mounted as a secret
  # environment variable (STRIPE_API_KEY, OPE_DATABASE_URL, ...) rather than as a file (the code also
  # accepts NAME_FILE, a volume mount): it is the way the Stripe key already comes, so modules/function
  # needs one mechanism and grants access to exactly the list below; and a file would bring nothing here,
  # because the code reads every secret once, when an instance starts, exactly as the platform resolves
  # a secret environment variable ("latest" at the instance's start: a rotated value reaches the next
  # cold start). The functions that do not mount a secret start without it (the port that needs it
  # fails if ever used).
  # Each function that calls Stripe mounts its own restricted key (secrets.tf) as STRIPE_API_KEY:
  # gather the read-only one, plan-apply the one that may also heal, the console a read-only one of its
  # own. None can read another's.
  stripe_secret_env = {
    for fn in keys(local.stripe_keys) : fn => [{
      key       = "STRIPE_API_KEY"
      secret_id = google_secret_manager_secret.stripe_key[fn].secret_id
      version   = "latest"
    }]
  }

  # The read replicas' URLs (secrets.tf), one per store, under the names the code reads.
  replica_secret_env = [
    for store, db in local.replica_databases : {
      key       = db.env
      secret_id = google_secret_manager_secret.replica_database_url[store].secret_id
      version   = "latest"
    }
  ]

  # The Stripe webhook endpoint's signing secret (secrets.tf), under the name the code reads.
  stripe_webhook_secret_env = [{
    key       = "STRIPE_WEBHOOK_SECRET"
    secret_id = google_secret_manager_secret.stripe_webhook.secret_id
    version   = "latest"
  }]

  # The Jira API user's token (secrets.tf), under the name the code reads, keyed by function name like
  # the Stripe keys: classify-tickets' alone, and only when it is deployed (the secret is created then).
  jira_secret_env = {
    for fn in keys(google_secret_manager_secret.jira_api_token) : fn => [{
      key       = "JIRA_API_TOKEN"
      secret_id = google_secret_manager_secret.jira_api_token[fn].secret_id
      version   = "latest"
    }]
  }

  # Secrets each function mounts as environment variables; the module grants its runtime service
  # account secretAccessor on exactly these, and nobody else gets access. Only gather and plan-apply
  # read the live truth (the replicas) and call Stripe, and the console, for a live gather, with its own
  # read-only key (never gather's or plan-apply's). stripe-events only verifies what Stripe sends:
  # the webhook signing secret, and no Stripe API key (it calls no Stripe API) and no replica.
  # ope-events reads only the message and Firestore: nothing. classify-tickets reads Jira with the API
  # user's token, and nothing of Stripe or the replicas.
  function_secret_environment = {
    "detect-drift"     = []
    "gather"           = concat(local.stripe_secret_env["gather"], local.replica_secret_env)
    "plan-apply"       = concat(local.stripe_secret_env["plan-apply"], local.replica_secret_env)
    "www-resync"       = []
    "audit-writer"     = []
    "stripe-events"    = local.stripe_webhook_secret_env
    "event-sweeper"    = []
    "ope-events"       = []
    "classify-tickets" = try(local.jira_secret_env["classify-tickets"], [])
    "console"          = concat(try(local.stripe_secret_env["console"], []), local.replica_secret_env)
  }

  # Every name a secret is mounted under, and its _FILE form: never a plain variable
  # (var.extra_environment_variables refuses them). Read from the names, not from the lists above, so
  # the validation reads no resource.
  secret_environment_names = flatten([
    for name in concat(["STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "JIRA_API_TOKEN"], [for db in values(local.replica_databases) : db.env]) :
    [name, "${name}_FILE"]
  ])

  # The functions that reach the company network: gather, plan-apply and the console (subs-api and the
  # read replicas), www-resync (subs-api and www), stripe-events (subs-api), through the connector when
  # one is given, with var.vpc_connector_egress_settings (PRIVATE_RANGES_ONLY by default: only private
  # addresses go through the VPC, Stripe and Google APIs are reached directly). detect-drift,
  # audit-writer, event-sweeper and ope-events only talk to Google APIs and get none; classify-tickets
  # talks to Google APIs and Jira Cloud, on the internet, and gets none either (default egress).
  function_vpc_connector = {
    "detect-drift"     = null
    "gather"           = var.vpc_connector
    "plan-apply"       = var.vpc_connector
    "www-resync"       = var.vpc_connector
    "audit-writer"     = null
    "stripe-events"    = var.vpc_connector
    "event-sweeper"    = null
    "ope-events"       = null
    "classify-tickets" = null
    "console"          = var.vpc_connector
  }

  # Who may invoke a function without any Google identity (roles/run.invoker for allUsers, granted by
  # modules/function): stripe-events alone, and no other function ever. Stripe delivers webhooks from
  # its own servers on the public internet and cannot authenticate with Google IAM (no OIDC token, no
  # service account), so the function's only lock is in its code: every request must carry a valid
  # Stripe-Signature (an HMAC of the raw body with the endpoint's signing secret, STRIPE_WEBHOOK_SECRET)
  # with a timestamp within 5 minutes (STRIPE_WEBHOOK_TOLERANCE_S, a replayed old delivery is refused),
  # checked before anything is read or written; a refused request is answered 400 and logged, and
  # monitoring.tf counts and alerts on them. What a valid request can do is bounded too: it schedules a
  # re-check of an account that gather re-reads live, under the kill switch and the event path's
  # hourly budget; it carries no instruction. test/infra holds that this map has one true entry.
  function_allow_unauthenticated = {
    "detect-drift"     = false
    "gather"           = false
    "plan-apply"       = false
    "www-resync"       = false
    "audit-writer"     = false
    "stripe-events"    = true
    "event-sweeper"    = false
    "ope-events"       = false
    "classify-tickets" = false
    "console"          = false
  }

  # Network ingress per function: var.ingress_settings (internal-only by default), unless
  # var.ingress_settings_overrides names the function. Internal-only works because every caller of an
  # authenticated function is Cloud Scheduler (detect-drift, event-sweeper, classify-tickets) or a
  # Pub/Sub push subscription (the consumers) of this project, calling the run.app URL; Cloud Run counts
  # those as internal traffic ("Internal": Cloud Scheduler and Pub/Sub "in the same project or VPC
  # Service Controls perimeter", using the default run.app URL):
  # https://cloud.google.com/run/docs/securing/ingress#settings
  # An operator calling classify-tickets by hand (a given week, a backfill) does so from inside the
  # project's VPC network, like any other call by hand (docs/deploy.md, "Jira").
  # A caller outside the project (cross-project push or scheduler job, a person with curl) is refused
  # at the network level whatever its IAM; docs/deploy.md ("Ingress") says what else breaks it.
  # The unauthenticated function (stripe-events) is ALLOW_ALL instead, whatever var.ingress_settings
  # says: Stripe calls from the internet, and internal-only would refuse every delivery. Only an
  # override naming it changes that (e.g. ALLOW_INTERNAL_AND_GCLB behind a load balancer with Cloud
  # Armor in front). It is the only function with ALLOW_ALL by default.
  # The console (local.load_balanced_functions) is ALLOW_INTERNAL_AND_GCLB whatever var.ingress_settings
  # says: people reach it only through its external load balancer, where IAP checks each of them
  # (console.tf), and internal-only would refuse the load balancer; an override may not change it (a
  # validation of var.ingress_settings_overrides).
  load_balanced_functions = ["console"]
  function_ingress_settings = {
    for fn in local.function_names : fn => lookup(
      var.ingress_settings_overrides,
      fn,
      local.function_allow_unauthenticated[fn] ? "ALLOW_ALL" : (
        contains(local.load_balanced_functions, fn) ? "ALLOW_INTERNAL_AND_GCLB" : var.ingress_settings
      ),
    )
  }

  # Who may invoke each HTTP function (roles/run.invoker on its service): detect-drift and
  # event-sweeper only by the scheduler's identity (scheduler.tf); classify-tickets by the scheduler's
  # identity (the weekly call) and the operators (a given week, a backfill under a new taxonomy
  # version, a forced rerun: the function only reads Jira and lands rows in BigQuery, once per week and
  # version unless forced, and moves no money); stripe-events by anyone (function_allow_unauthenticated
  # above), so it names no one here; the console by IAP's service agent alone, which forwards only the
  # requests of people IAP let through (var.console_members, console.tf), never by a person directly.
  # Pub/Sub-fed functions are invoked only by their own push identity,
  # which the module creates; the module refuses invokers for them. Keys are known when planning (names
  # and the operators variable).
  function_invoker_members = {
    "detect-drift"  = { scheduler = "serviceAccount:${google_service_account.scheduler.email}" }
    "gather"        = {}
    "plan-apply"    = {}
    "www-resync"    = {}
    "audit-writer"  = {}
    "stripe-events" = {}
    "event-sweeper" = { scheduler = "serviceAccount:${google_service_account.scheduler.email}" }
    "ope-events"    = {}
    "classify-tickets" = merge(
      { scheduler = "serviceAccount:${google_service_account.scheduler.email}" },
      { for m in var.operator_members : "operator/${m}" => m },
    )
    "console" = { for fn in local.console_functions : "iap" => "serviceAccount:${google_project_service_identity.iap[fn].email}" }
  }

  # The topic feeding each deployed Pub/Sub-fed function (null: HTTP), and the project it lives in. A hop
  # topic is read from its resource, so each push subscription is created after its topic. An external
  # topic (ope-events' OPE change topic) is the one the deployment names (local.external_topics,
  # main.tf), in its own project, which may be another: the subscription is created in this project
  # either way (modules/function), and nothing here creates or grants anything on that topic.
  function_trigger_topic_names = {
    for fn, f in local.deployed_functions : fn => (
      f.trigger_topic_key == null ? null : (
        contains(local.external_topic_keys, f.trigger_topic_key)
        ? local.external_topics[f.trigger_topic_key].name
        : google_pubsub_topic.hop[f.trigger_topic_key].name
      )
    )
  }
  function_trigger_topic_project_ids = {
    for fn, f in local.deployed_functions : fn => (
      f.trigger_topic_key == null ? null : (
        contains(local.external_topic_keys, f.trigger_topic_key)
        ? local.external_topics[f.trigger_topic_key].project_id
        : var.project_id
      )
    )
  }

  build_service_account_id = google_service_account.build.id
  docker_repository_id     = google_artifact_registry_repository.functions.id

  runtime_service_accounts = { for fn, m in module.function : fn => m.runtime_service_account_email }

  # Filtered on the topology, not on the outputs, so the keys are known when planning (operator grants
  # in pubsub.tf iterate them).
  dead_letter_subscriptions = {
    for fn, f in local.deployed_functions : fn => module.function[fn].dead_letter_subscription_name
    if f.trigger_topic_key != null
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.deployed_functions

  project_id         = var.project_id
  region             = var.region
  name               = each.key
  description        = each.value.description
  entry_point        = each.value.entry_point
  service_account_id = "dc-${each.key}"
  labels             = local.labels

  source_bucket            = google_storage_bucket.functions_source.name
  source_object            = google_storage_bucket_object.functions_source.name
  build_service_account_id = local.build_service_account_id
  docker_repository_id     = local.docker_repository_id
  ingress_settings         = local.function_ingress_settings[each.key]

  memory_mb               = local.function_settings[each.key].memory_mb
  cpu                     = local.function_settings[each.key].cpu
  timeout_s               = local.function_settings[each.key].timeout_s
  min_instances           = local.function_settings[each.key].min_instances
  max_instances           = local.function_settings[each.key].max_instances
  max_concurrent_requests = local.function_settings[each.key].max_concurrent_requests

  environment_variables = merge(
    local.common_env,
    local.function_environment[each.key],
    try(var.extra_environment_variables[each.key], {}),
  )
  secret_environment_variables  = local.function_secret_environment[each.key]
  vpc_connector                 = local.function_vpc_connector[each.key]
  vpc_connector_egress_settings = var.vpc_connector_egress_settings

  invoker_members       = local.function_invoker_members[each.key]
  allow_unauthenticated = local.function_allow_unauthenticated[each.key]

  trigger_topic_name               = local.function_trigger_topic_names[each.key]
  trigger_topic_project_id         = local.function_trigger_topic_project_ids[each.key]
  enable_message_ordering          = each.value.message_ordering
  pubsub_service_agent_email       = google_project_service_identity.pubsub.email
  ack_deadline_s                   = var.pubsub_ack_deadline_s
  min_retry_backoff_s              = var.pubsub_min_retry_backoff_s
  max_retry_backoff_s              = var.pubsub_max_retry_backoff_s
  max_delivery_attempts            = var.pubsub_max_delivery_attempts
  subscription_message_retention_s = var.subscription_message_retention_s
  dead_letter_message_retention_s  = var.dead_letter_message_retention_s

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.build_log_writer,
    google_artifact_registry_repository_iam_member.build_writer,
    google_storage_bucket_iam_member.build_source_reader,
  ]
}

# ---------------------------------------------------------------------------------------------------
# What each runtime identity may touch besides its topics (pubsub.tf) and secrets (modules/function).
# Firestore roles are granted on the project, each with the condition that limits it to driftcontrol's
# own database (local.firestore_iam_condition, firestore.tf), but classify-tickets', limited to the ticket
# ledger's database (local.tickets_firestore_iam_condition); the console's is a viewer role. BigQuery
# jobs have no finer level than the project; datasets and the audit table are granted at their own level.
# ---------------------------------------------------------------------------------------------------

locals {
  # Firestore: detect-drift writes the run ledger, plan-apply the per-account lease, cooldown and final
  # outcome, gather and www-resync their final outcome per account or zone (a redelivery after it adds
  # no second audit row); stripe-events the event ledger and the pending checks; ope-events the pending
  # checks (one per account of an OPE change message, in a transaction); event-sweeper deletes the
  # pending checks it hands on and counts the event path's hourly budget; all read the config, gather the
  # gates. gather and plan-apply also lease their shares of the deployment's Stripe budgets
  # (driftcontrol_stripe_rate_shares: about one routine write a second on each of its two documents, and
  # a read of the budgets in the config): without this grant they could not call Stripe at all.
  # audit-writer gets nothing. classify-tickets gets nothing here: it reads untrusted ticket text and has
  # internet egress, and its only Firestore use is its week ledger (driftcontrol_ticket_runs), kept in a
  # database of its own (runtime_tickets_firestore below), so it cannot write the kill switch, gates,
  # leases or Stripe rate shares. The console only reads (the config, the gates, the drift lifecycle: a
  # person looks, the pipeline acts) and leases no Stripe share (STRIPE_READ_ONLY), so it gets
  # roles/datastore.viewer, with the same condition: it can write nothing in Firestore.
  firestore_roles = {
    "detect-drift"  = "roles/datastore.user"
    "gather"        = "roles/datastore.user"
    "plan-apply"    = "roles/datastore.user"
    "www-resync"    = "roles/datastore.user"
    "stripe-events" = "roles/datastore.user"
    "event-sweeper" = "roles/datastore.user"
    "ope-events"    = "roles/datastore.user"
    "console"       = "roles/datastore.viewer"
  }

  # BigQuery queries run as jobs in this project. audit-writer streams rows (insertId = row_id) and
  # needs no jobs: it only gets the insert-only custom role on the audit table below. event-sweeper
  # runs one query a minute (the newest snapshot_date of billing_mirror.mirror_manifest).
  # classify-tickets queries the ticket views for its digest (its rows are streamed: no job). The console
  # queries the audit and its views for every page.
  bigquery_job_users = ["detect-drift", "gather", "event-sweeper", "classify-tickets", "console"]

  # Datasets each function reads (dataset keys of topology.json): detection and the warehouse side of
  # gather read the mirror and its views; event-sweeper reads only billing_mirror.mirror_manifest, so it
  # gets the mirror dataset and not the views. (A binding on that one table would be narrower still,
  # but the mirror tables are created by the DDL job in bigquery.tf, not by Terraform resources a table
  # binding could name.) classify-tickets reads the ticket views (billing_observability 13-16), which
  # read the ticket classifications (billing_tickets) and the audit's final outcomes (views over
  # billing_audit): a view that is not authorized needs its reader to read what it reads, so the three.
  # Authorizing the ticket views instead (google_bigquery_dataset_access) would not narrow this cleanly:
  # the views are created by the views job, not by resources; the ticket views reach billing_audit only
  # through audit_final_outcomes and audit_attempts, so audit_attempts would have to be authorized, and
  # every reader of billing_observability (detect-drift, gather) would then read the audit through it;
  # and the provider's dataset IAM members (operator_reader, runtime_reader on billing_audit and
  # billing_tickets) remove authorized-view entries from a dataset's access list, so the two would fight.
  # The console reads the audit table (an account's attempts, runs, trends, search), and the tickets that
  # name an account through ticket_classifications_latest (observability, over billing_tickets), so the
  # audit, observability and tickets datasets; it reads no mirror table and writes nothing (no
  # dataEditor, no insert role). The others read none.
  bigquery_read_datasets = {
    "detect-drift"     = ["mirror", "observability"]
    "gather"           = ["mirror", "observability"]
    "plan-apply"       = []
    "www-resync"       = []
    "audit-writer"     = []
    "stripe-events"    = []
    "event-sweeper"    = ["mirror"]
    "ope-events"       = []
    "classify-tickets" = ["observability", "audit", "tickets"]
    "console"          = ["audit", "observability", "tickets"]
  }

  # One dataViewer grant per (function, dataset), keyed "<function>/<dataset key>" as before.
  bigquery_readers = {
    for pair in flatten([
      for fn, keys in local.bigquery_read_datasets : [for key in keys : { fn = fn, dataset = key }]
      if contains(local.deployed_function_names, fn)
    ]) : "${pair.fn}/${pair.dataset}" => pair
  }
}

# A function that is not deployed (local.deployed_functions) holds no grant: each for_each below skips it.
resource "google_project_iam_member" "runtime_firestore" {
  for_each = { for fn, role in local.firestore_roles : fn => role if contains(local.deployed_function_names, fn) }

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${local.runtime_service_accounts[each.key]}"

  condition {
    title       = local.firestore_iam_condition.title
    description = local.firestore_iam_condition.description
    expression  = local.firestore_iam_condition.expression
  }

  depends_on = [google_firestore_database.driftcontrol]
}

# classify-tickets' week ledger: datastore.user on the ticket ledger's database only (the condition), and
# nothing on driftcontrol's database. Only when it is deployed (the database exists then).
resource "google_project_iam_member" "runtime_tickets_firestore" {
  for_each = toset(local.tickets_firestore_functions)

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${local.runtime_service_accounts[each.key]}"

  condition {
    title       = local.tickets_firestore_iam_condition.title
    description = local.tickets_firestore_iam_condition.description
    expression  = local.tickets_firestore_iam_condition.expression
  }

  depends_on = [google_firestore_database.tickets]
}

resource "google_project_iam_member" "runtime_bigquery_job_user" {
  for_each = toset([for fn in local.bigquery_job_users : fn if contains(local.deployed_function_names, fn)])

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

# audit-writer only streams rows into the audit table (tabledata.insertAll with insertId = row_id,
# shared/adapters/bigquery.ts): it gets a custom role with the permissions insertAll names on the
# table, and nothing that reads, updates or deletes rows or changes the table (roles/bigquery.dataEditor
# would). classify-tickets streams its rows the same way into the ticket classifications table
# (insertId = run, version and ticket key, shared/adapters/bigquery-tickets.ts) and gets the same role,
# bound on that table only. insertAll requires "bigquery.tables.updateData on the table" and
# "bigquery.tables.get on the table" (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll, IAM
# permissions; https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery#required_permissions).
# Those pages also list bigquery.datasets.get on the dataset, which a table binding cannot carry (nor
# could the dataEditor binding on this table this role replaces); docs/deploy.md says what to grant if
# a deployment is ever refused for it.
resource "google_project_iam_custom_role" "audit_insert" {
  project     = var.project_id
  role_id     = "driftcontrolAuditInsert"
  title       = "driftcontrol streaming row insert"
  description = "Stream rows into one driftcontrol table (tabledata.insertAll) and nothing else. Bound per table only: the audit table, the ticket classifications table."
  permissions = local.audit_insert_permissions
}

locals {
  audit_insert_permissions = ["bigquery.tables.get", "bigquery.tables.updateData"]
}

# Bound on the audit table only: the role gives nothing on any other table, dataset or the project.
resource "google_bigquery_table_iam_member" "audit_writer" {
  project    = var.project_id
  dataset_id = google_bigquery_table.audit.dataset_id
  table_id   = google_bigquery_table.audit.table_id
  role       = google_project_iam_custom_role.audit_insert.id
  member     = "serviceAccount:${local.runtime_service_accounts["audit-writer"]}"

  # The role change replaces the binding: add the new one before the dataEditor one goes, so inserts
  # never pause.
  lifecycle {
    create_before_destroy = true
  }
}

# Bound on the ticket classifications table only, for classify-tickets, when it is deployed: the role
# gives nothing on the tickets dataset's other tables, the audit table or the project. Reading its own
# rows back goes through its dataViewer grant on the dataset (the ticket views read them).
resource "google_bigquery_table_iam_member" "ticket_classifications_writer" {
  for_each = toset([for fn in ["classify-tickets"] : fn if contains(local.deployed_function_names, fn)])

  project    = var.project_id
  dataset_id = google_bigquery_table.tickets.dataset_id
  table_id   = google_bigquery_table.tickets.table_id
  role       = google_project_iam_custom_role.audit_insert.id
  member     = "serviceAccount:${local.runtime_service_accounts[each.key]}"
}
