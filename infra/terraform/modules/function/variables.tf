variable "project_id" {
  type        = string
  description = "Project that holds the function, its topics and its service accounts."
}

variable "region" {
  type        = string
  description = "Region of the function (Cloud Functions gen2 / Cloud Run)."
}

variable "name" {
  type        = string
  description = "Function name exactly as in shared/contracts/topology.json (a key of functions). The subscription, dead-letter topic and dead-letter subscription names derive from it the same way topology.ts derives them."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "name must be lower-case letters, digits and dashes, 3 to 41 characters."
  }
}

variable "description" {
  type        = string
  description = "Human description of the function, shown in the console (functions[].description in topology.json)."
}

variable "entry_point" {
  type        = string
  description = "Name the code registers with functions-framework (functions[].entryPoint in topology.json)."
}

variable "source_bucket" {
  type        = string
  description = "GCS bucket holding the built source archive."
}

variable "source_object" {
  type        = string
  description = "Object name of the built source archive; it carries the content hash, so a code change changes it and redeploys the function."
}

variable "build_service_account_id" {
  type        = string
  description = "Full resource id (projects/PROJECT/serviceAccounts/EMAIL) of the service account Cloud Build uses to build the function image."
}

variable "docker_repository_id" {
  type        = string
  description = "Artifact Registry repository id (projects/PROJECT/locations/REGION/repositories/NAME) the built image is pushed to."
}

variable "service_account_id" {
  type        = string
  description = "account_id of the function's own runtime service account (6-30 chars). The push identity gets the same id with a -push suffix."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,24}[a-z0-9]$", var.service_account_id))
    error_message = "service_account_id must be 6-25 characters so that the -push suffix still fits the 30 character limit."
  }
}

variable "memory_mb" {
  type        = number
  description = "Memory per instance in MiB."
}

variable "cpu" {
  type        = string
  description = "vCPU per instance as Cloud Run accepts it (\"1\", \"2\", ...). More than one concurrent request per instance needs at least 1 vCPU."
}

variable "timeout_s" {
  type        = number
  description = "Request timeout in seconds. A Pub/Sub-fed function's must not exceed ack_deadline_s, or Pub/Sub redelivers a message that is still being processed; an HTTP function's may reach 3600 (the gen2 limit)."

  validation {
    condition     = var.timeout_s >= 1 && var.timeout_s <= (var.trigger_topic_name == null ? 3600 : var.ack_deadline_s)
    error_message = "timeout_s must be between 1 and ack_deadline_s for a Pub/Sub-fed function, between 1 and 3600 for an HTTP function."
  }
}

variable "min_instances" {
  type        = number
  description = "Instances kept warm (0 = scale to zero; the pipeline is a nightly batch)."
}

variable "max_instances" {
  type        = number
  description = "Upper bound of instances: bounds the load this function can put on Stripe, BigQuery and the internal APIs."
}

variable "max_concurrent_requests" {
  type        = number
  description = "Requests one instance serves at once (Cloud Functions gen2 concurrency)."

  validation {
    condition     = var.max_concurrent_requests >= 1 && var.max_concurrent_requests <= 1000
    error_message = "max_concurrent_requests must be between 1 and 1000."
  }
}

variable "ingress_settings" {
  type        = string
  description = "ALLOW_INTERNAL_ONLY (default: enough for callers that are Cloud Scheduler or Pub/Sub push in the same project, using the run.app URL), ALLOW_INTERNAL_AND_GCLB or ALLOW_ALL. Authentication (an IAM invoker) is required either way, unless allow_unauthenticated is set."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Plain environment variables of the function (no secrets here: they land in state)."
  default     = {}
}

variable "secret_environment_variables" {
  type = list(object({
    key       = string
    secret_id = string
    version   = string
  }))
  description = "Secrets exposed as environment variables at runtime, read from Secret Manager by the platform. The module grants the runtime service account secretAccessor on exactly these secrets."
  default     = []
}

variable "vpc_connector" {
  type        = string
  description = "Serverless VPC Access connector id for reaching the company network (internal APIs, database read replicas), or null for none."
  default     = null
}

variable "vpc_connector_egress_settings" {
  type        = string
  description = "PRIVATE_RANGES_ONLY or ALL_TRAFFIC; only used with vpc_connector."
  default     = "PRIVATE_RANGES_ONLY"
}

# ---------------------------------------------------------------------------------------------------
# How the function is invoked: HTTP (invoker_members) or Pub/Sub (trigger_topic_name and the settings
# of its push subscription, which an HTTP function does not use).
# ---------------------------------------------------------------------------------------------------

variable "invoker_members" {
  type        = map(string)
  description = "HTTP functions only: the principals allowed to invoke the function (roles/run.invoker on its service), keyed by a name known at plan time (e.g. scheduler = \"serviceAccount:...\"). A Pub/Sub-fed function is invoked only by its own push identity."
  default     = {}

  validation {
    condition     = var.trigger_topic_name == null || length(var.invoker_members) == 0
    error_message = "invoker_members must be empty when trigger_topic_name is set: a Pub/Sub-fed function is invoked only by its own push identity."
  }

  validation {
    condition     = alltrue([for m in values(var.invoker_members) : can(regex("^(user|group|serviceAccount):", m))])
    error_message = "invoker_members must be user:, group: or serviceAccount: principals; public principals are not allowed (see allow_unauthenticated)."
  }
}

variable "allow_unauthenticated" {
  type        = bool
  description = "HTTP functions only: let anyone invoke the function without a Google identity (roles/run.invoker for allUsers, gcloud's --allow-unauthenticated). Only for a caller that cannot authenticate with Google IAM and whose requests the function's code authenticates itself (stripe-events: Stripe's webhooks, checked by their signature). Needs no invoker_members, and is refused for a Pub/Sub-fed function."
  default     = false

  validation {
    condition     = !var.allow_unauthenticated || var.trigger_topic_name == null
    error_message = "allow_unauthenticated is for HTTP functions only: a Pub/Sub-fed function is invoked only by its own push identity."
  }

  # Anyone may call it already: a named invoker next to allUsers would only suggest otherwise.
  validation {
    condition     = !var.allow_unauthenticated || length(var.invoker_members) == 0
    error_message = "allow_unauthenticated and invoker_members exclude each other: anyone may already invoke an unauthenticated function."
  }
}

variable "trigger_topic_name" {
  type        = string
  description = "Name (not id) of the topic whose messages are pushed to this function (a hop topic of topology.json, or the name of an external topic given by the deployment), or null for an HTTP function. When set, the module creates the push subscription, its dead-letter topic and subscription, and the push identity. The topic is in trigger_topic_project_id, or project_id."
  default     = null
}

variable "trigger_topic_project_id" {
  type        = string
  description = "Project holding the trigger topic, when it is not project_id: an external topic owned by another team (e.g. the OPE change topic). Null: the topic is in project_id. The subscription, dead letter and push identity are created in project_id either way; the identity running Terraform needs pubsub.topics.attachSubscription on a topic of another project. Pub/Sub-fed functions only."
  default     = null

  validation {
    condition     = var.trigger_topic_project_id == null || var.trigger_topic_name != null
    error_message = "trigger_topic_project_id is for Pub/Sub-fed functions only: set trigger_topic_name too."
  }
}

variable "ack_deadline_s" {
  type        = number
  description = "Seconds Pub/Sub waits for the push response before redelivering (10-600). Pub/Sub-fed functions only."

  validation {
    condition     = var.ack_deadline_s >= 10 && var.ack_deadline_s <= 600
    error_message = "ack_deadline_s must be between 10 and 600."
  }
}

variable "min_retry_backoff_s" {
  type        = number
  description = "Minimum backoff in seconds before a nacked or failed message is redelivered (0-600). Pub/Sub-fed functions only."
}

variable "max_retry_backoff_s" {
  type        = number
  description = "Maximum backoff in seconds between redeliveries (0-600). Pub/Sub-fed functions only."

  validation {
    condition     = var.max_retry_backoff_s <= 600 && var.max_retry_backoff_s >= var.min_retry_backoff_s
    error_message = "max_retry_backoff_s must be at most 600 and at least min_retry_backoff_s."
  }
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries before a message is moved to the dead-letter topic (5-100). Pub/Sub-fed functions only."

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub limits)."
  }
}

variable "subscription_message_retention_s" {
  type        = number
  description = "Seconds the trigger subscription keeps messages, acknowledged ones included, so a seek can replay them (600-604800). Pub/Sub-fed functions only."

  validation {
    condition     = var.subscription_message_retention_s >= 600 && var.subscription_message_retention_s <= 604800
    error_message = "subscription_message_retention_s must be between 600 and 604800 (7 days)."
  }
}

variable "dead_letter_message_retention_s" {
  type        = number
  description = "Seconds the dead-letter topic and its subscription keep messages (600-604800). Pub/Sub-fed functions only."

  validation {
    condition     = var.dead_letter_message_retention_s >= 600 && var.dead_letter_message_retention_s <= 604800
    error_message = "dead_letter_message_retention_s must be between 600 and 604800 (7 days)."
  }
}

variable "enable_message_ordering" {
  type        = bool
  description = "Deliver messages with the same ordering key (account or zone id) one at a time, in publish order (trigger.messageOrdering in topology.json). Pub/Sub-fed functions only."
  default     = false
}

variable "pubsub_service_agent_email" {
  type        = string
  description = "Email of the project's Pub/Sub service agent (service-NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com): it mints the push OIDC token and moves messages to the dead-letter topic. Pub/Sub-fed functions only."
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every labelable resource of the module."
  default     = {}
}
