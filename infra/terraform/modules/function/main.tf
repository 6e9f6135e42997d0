# One Cloud Function gen2 of shared/contracts/topology.json with its own runtime service account and
# access to exactly the secrets it mounts, and what invokes it:
# - fed by Pub/Sub (trigger_topic_name set): a push subscription we own on the trigger topic, its own
#   dead-letter topic, a pull subscription on that dead-letter topic, and a push identity that is the
#   only principal allowed to invoke the function. The trigger topic may live in another project
#   (trigger_topic_project_id: an external topic, the OPE team's); everything created here lives in
#   project_id, and nothing is created or granted on the trigger topic itself;
# - HTTP (trigger_topic_name null): invoker_members, and nobody else, may invoke it; or, with
#   allow_unauthenticated (stripe-events alone: Stripe cannot authenticate with Google IAM, the code checks
#   its signature), anyone.
#
# Why a push subscription we own instead of the function's event_trigger (Eventarc): the Eventarc-managed
# subscription cannot be given a dead-letter policy or a name from Terraform, and the design needs both
# (docs/design.md, "The shape": every subscription has a dead-letter topic; names derive from the
# function names of topology.json). functions-framework turns a Pub/Sub push into a CloudEvent when the
# push path is /projects/PROJECT/topics/TOPIC (docs/deploy.md, "Contract between Terraform and the
# code"), so the endpoint below carries that path.

locals {
  pubsub = var.trigger_topic_name != null

  # Same derivations as subscriptionName / deadLetterTopicName / deadLetterSubscriptionName in
  # shared/contracts/topology.ts; test/infra holds the two together.
  subscription_name             = "${var.name}-sub"
  dead_letter_topic_name        = "${var.name}-dead-letter"
  dead_letter_subscription_name = "${var.name}-dead-letter-sub"
  trigger_topic_project_id      = coalesce(var.trigger_topic_project_id, var.project_id)
  trigger_topic_id              = local.pubsub ? "projects/${local.trigger_topic_project_id}/topics/${var.trigger_topic_name}" : null
  labels                        = merge(var.labels, { function = var.name })
}

# Runtime identity: only what the function itself needs is granted to it (by the caller, and below
# for secrets). It can invoke nothing.
resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = var.service_account_id
  display_name = "driftcontrol ${var.name} runtime"
}

resource "google_secret_manager_secret_iam_member" "runtime_secret_accessor" {
  for_each = { for s in var.secret_environment_variables : s.key => s }

  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime.email}"
}

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description
  labels      = local.labels

  build_config {
    runtime           = "nodejs22"
    entry_point       = var.entry_point
    service_account   = var.build_service_account_id
    docker_repository = var.docker_repository_id

    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.runtime.email
    available_memory                 = "${var.memory_mb}Mi"
    available_cpu                    = var.cpu
    timeout_seconds                  = var.timeout_s
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = var.max_concurrent_requests
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    environment_variables            = var.environment_variables
    vpc_connector                    = var.vpc_connector
    vpc_connector_egress_settings    = var.vpc_connector == null ? null : var.vpc_connector_egress_settings

    # Secret values (a Stripe key, the webhook signing secret, the read replicas' URLs) are resolved by
    # the platform when an instance starts; they never pass through Terraform. "latest" picks up a
    # rotated value on the next cold start.
    dynamic "secret_environment_variables" {
      for_each = var.secret_environment_variables
      content {
        key        = secret_environment_variables.value.key
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  # A revision that cannot read its secret fails to start: grant access first.
  depends_on = [google_secret_manager_secret_iam_member.runtime_secret_accessor]
}

# ---------------------------------------------------------------------------------------------------
# HTTP: exactly the principals given may invoke the function (detect-drift, event-sweeper: the
# scheduler's identity), or anyone when allow_unauthenticated says so (stripe-events).
# Gen2 functions are Cloud Run services: invocation is roles/run.invoker on the service.
# https://cloud.google.com/functions/docs/securing/authenticating
# ---------------------------------------------------------------------------------------------------

resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = var.invoker_members

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = each.value
}

# The one way to make a function public, and a deliberate one (var.allow_unauthenticated, HTTP only):
# anyone on the internet may then invoke it, so its code must authenticate every request itself.
# Used only by stripe-events, whose caller (Stripe's webhooks) cannot hold a Google identity and whose
# requests carry Stripe's signature instead (functions.tf, local.function_allow_unauthenticated).
# An organisation policy restricting IAM members to the company's domains
# (iam.allowedPolicyMemberDomains) refuses this grant: docs/deploy.md, "Stripe webhooks".
resource "google_cloud_run_service_iam_member" "public_invoker" {
  count = var.allow_unauthenticated ? 1 : 0

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# ---------------------------------------------------------------------------------------------------
# Pub/Sub: push subscription, dead letter, push identity (only when trigger_topic_name is set)
# ---------------------------------------------------------------------------------------------------

# Push identity: the only principal allowed to invoke a Pub/Sub-fed function. Kept apart from the
# runtime account so that the function's code cannot call itself or any other function.
resource "google_service_account" "push" {
  count = local.pubsub ? 1 : 0

  project      = var.project_id
  account_id   = "${var.service_account_id}-push"
  display_name = "driftcontrol ${var.name} Pub/Sub push invoker"
}

resource "google_cloud_run_service_iam_member" "push_invoker" {
  count = local.pubsub ? 1 : 0

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push[0].email}"
}

# Pub/Sub's service agent mints the OIDC token of the push identity.
# https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  count = local.pubsub ? 1 : 0

  service_account_id = google_service_account.push[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${var.pubsub_service_agent_email}"
}

resource "google_pubsub_topic" "dead_letter" {
  count = local.pubsub ? 1 : 0

  project                    = var.project_id
  name                       = local.dead_letter_topic_name
  labels                     = local.labels
  message_retention_duration = "${var.dead_letter_message_retention_s}s"
}

resource "google_pubsub_subscription" "trigger" {
  count = local.pubsub ? 1 : 0

  project = var.project_id
  name    = local.subscription_name
  topic   = local.trigger_topic_id
  labels  = local.labels

  ack_deadline_seconds    = var.ack_deadline_s
  enable_message_ordering = var.enable_message_ordering

  # Keep acknowledged messages so `gcloud pubsub subscriptions seek --time=...` can replay a night.
  message_retention_duration = "${var.subscription_message_retention_s}s"
  retain_acked_messages      = true

  # The default expiry deletes a subscription after 31 idle days; a quiet drift system is not a
  # reason to lose its consumer.
  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "${var.min_retry_backoff_s}s"
    maximum_backoff = "${var.max_retry_backoff_s}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[0].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  push_config {
    # /projects/P/topics/T of the trigger topic, wherever it lives: functions-framework builds the
    # CloudEvent from this path. For a topic of this project the path is what it always was.
    push_endpoint = "${google_cloudfunctions2_function.this.service_config[0].uri}/${local.trigger_topic_id}"

    oidc_token {
      service_account_email = google_service_account.push[0].email
      audience              = google_cloudfunctions2_function.this.service_config[0].uri
    }
  }

  depends_on = [
    google_cloud_run_service_iam_member.push_invoker,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}

# Nothing published to a dead-letter topic is lost: this pull subscription keeps it for
# `driftcontrol replay --from-dead-letter` or an operator's inspection.
resource "google_pubsub_subscription" "dead_letter" {
  count = local.pubsub ? 1 : 0

  project = var.project_id
  name    = local.dead_letter_subscription_name
  topic   = google_pubsub_topic.dead_letter[0].id
  labels  = local.labels

  ack_deadline_seconds       = 60
  message_retention_duration = "${var.dead_letter_message_retention_s}s"
  retain_acked_messages      = true

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering is done by the Pub/Sub service agent: it must publish to the dead-letter topic and
# acknowledge on the source subscription.
# https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions
# It is the agent of the subscription's project, which is project_id even when the trigger topic lives
# in another project: both grants are on objects of this module, and nothing is needed on that topic.
resource "google_pubsub_topic_iam_member" "agent_dead_letter_publisher" {
  count = local.pubsub ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[0].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.pubsub_service_agent_email}"
}

resource "google_pubsub_subscription_iam_member" "agent_trigger_subscriber" {
  count = local.pubsub ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.trigger[0].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.pubsub_service_agent_email}"
}

# ---------------------------------------------------------------------------------------------------
# Addresses of modules/event-function, which created the Pub/Sub resources without count. The root
# module's moved blocks move each old module instance here (module.gather -> module.function["gather"]);
# these then move its resources to index 0, so nothing is destroyed and recreated. Keep them until every
# deployment has applied once with this layout.
# ---------------------------------------------------------------------------------------------------

moved {
  from = google_service_account.push
  to   = google_service_account.push[0]
}

moved {
  from = google_cloud_run_service_iam_member.push_invoker
  to   = google_cloud_run_service_iam_member.push_invoker[0]
}

moved {
  from = google_service_account_iam_member.pubsub_agent_token_creator
  to   = google_service_account_iam_member.pubsub_agent_token_creator[0]
}

moved {
  from = google_pubsub_topic.dead_letter
  to   = google_pubsub_topic.dead_letter[0]
}

moved {
  from = google_pubsub_subscription.trigger
  to   = google_pubsub_subscription.trigger[0]
}

moved {
  from = google_pubsub_subscription.dead_letter
  to   = google_pubsub_subscription.dead_letter[0]
}

moved {
  from = google_pubsub_topic_iam_member.agent_dead_letter_publisher
  to   = google_pubsub_topic_iam_member.agent_dead_letter_publisher[0]
}

moved {
  from = google_pubsub_subscription_iam_member.agent_trigger_subscriber
  to   = google_pubsub_subscription_iam_member.agent_trigger_subscriber[0]
}
