# Alerts: dead-letter backlog, halted runs, function error rates (issue 6), refused Stripe webhook
# deliveries. Every alert goes to
# var.notification_channel_ids. Functions and dead-letter subscriptions come from the topology, as
# deployed (local.deployed_function_names in main.tf: ope-events only with var.ope_change_topic_id,
# classify-tickets only with var.jira_base_url, the console only with var.console_domain;
# local.dead_letter_subscriptions in functions.tf). No alert reads a topic, so none reaches an external
# one; ope-events' own subscription backlog is the OPE team's traffic, its dead letter is alerted on here.

locals {
  audit_table_ref = "${local.datasets.audit}.${local.audit_table}"
}

# ---------------------------------------------------------------------------------------------------
# Dead letters: anything in a dead-letter subscription is a message that could not be processed after
# pubsub_max_delivery_attempts deliveries and needs a human (inspect, fix, driftcontrol replay).
# ---------------------------------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  project      = var.project_id
  display_name = "driftcontrol: messages in a dead-letter subscription"
  combiner     = "OR"
  severity     = "ERROR"

  dynamic "conditions" {
    for_each = local.dead_letter_subscriptions
    content {
      display_name = "${conditions.value} has undelivered messages"
      condition_threshold {
        filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${conditions.value}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
        comparison      = "COMPARISON_GT"
        threshold_value = var.dead_letter_alert_threshold_messages
        duration        = "0s"
        aggregations {
          alignment_period   = "300s"
          per_series_aligner = "ALIGN_MAX"
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A message exhausted its deliveries and was dead-lettered. Pull it from the named subscription (`gcloud pubsub subscriptions pull SUB --limit=10`), check the failed row in ${local.audit_table_ref}, fix the cause, then `driftcontrol replay` it."
  }

  notification_channels = var.notification_channel_ids

  depends_on = [google_project_service.enabled]
}

# ---------------------------------------------------------------------------------------------------
# Halted runs: a safety valve stopped a run (kill switch, blast radius, stale mirror, cap). The code
# logs one structured line per halted run with outcome "halted" (see docs/deploy.md, "Logs the alerts
# read"); Cloud Logging puts it in jsonPayload.
# ---------------------------------------------------------------------------------------------------

resource "google_logging_metric" "halted_runs" {
  project     = var.project_id
  name        = "driftcontrol/halted_runs"
  description = "Runs stopped by a safety valve, by drift system."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"detect-drift\" AND jsonPayload.outcome = \"halted\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "system"
      value_type  = "STRING"
      description = "Drift system (stripe or www)."
    }
  }

  label_extractors = {
    system = "EXTRACT(jsonPayload.system)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "halted_runs" {
  project      = var.project_id
  display_name = "driftcontrol: a run was halted by a safety valve"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "halted runs > 0"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.halted_runs.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.system"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "detect-drift halted a run. The halted row in ${local.audit_table_ref} (outcome = 'halted') says which valve and why: kill switch, blast radius (too many new-drift accounts), stale or incomplete mirror, or per-run cap. Nothing was remediated for that system today."
  }

  notification_channels = var.notification_channel_ids
}

# ---------------------------------------------------------------------------------------------------
# Function error rates: share of requests answered 5xx. A handler that throws answers 500 and is
# redelivered, so a short burst is normal; a sustained ratio is not.
# ---------------------------------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "function_error_rate" {
  project      = var.project_id
  display_name = "driftcontrol: function error rate"
  combiner     = "OR"
  severity     = "ERROR"

  dynamic "conditions" {
    for_each = toset(local.deployed_function_names)
    content {
      display_name = "${conditions.value} 5xx ratio above ${var.function_error_ratio_threshold}"
      condition_threshold {
        filter             = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${conditions.value}\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
        denominator_filter = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${conditions.value}\" AND metric.type = \"run.googleapis.com/request_count\""
        comparison         = "COMPARISON_GT"
        threshold_value    = var.function_error_ratio_threshold
        duration           = "${var.function_error_window_s}s"
        aggregations {
          alignment_period     = "300s"
          per_series_aligner   = "ALIGN_RATE"
          cross_series_reducer = "REDUCE_SUM"
          group_by_fields      = ["resource.labels.service_name"]
        }
        denominator_aggregations {
          alignment_period     = "300s"
          per_series_aligner   = "ALIGN_RATE"
          cross_series_reducer = "REDUCE_SUM"
          group_by_fields      = ["resource.labels.service_name"]
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A driftcontrol function answers 5xx on a sustained share of requests. Check its logs (resource.labels.service_name) and the failed rows in ${local.audit_table_ref}; failing messages end in the function's dead-letter subscription after the configured delivery attempts. stripe-events: Stripe retries a failed delivery for up to 3 days (the Stripe dashboard lists them under the webhook endpoint); event-sweeper: the next minute's call sweeps again; classify-tickets: Cloud Scheduler retries the weekly call with backoff (Jira or BigQuery unavailable, a 401 from Jira means the API token in Secret Manager is wrong or expired), and a week that never landed can be classified again by calling it with that week (docs/deploy.md, \"Jira\")."
  }

  notification_channels = var.notification_channel_ids

  depends_on = [google_project_service.enabled]
}

# ---------------------------------------------------------------------------------------------------
# Refused Stripe webhooks: stripe-events is the one public function, and its lock is the Stripe-Signature
# check (functions.tf, local.function_allow_unauthenticated). Every refused request is logged as one
# JSON line with "event": "stripe_webhook_refused" and "code": missing_signature, bad_signature or
# timestamp_outside_tolerance (shared/pipeline/stripe-events.ts); the metric counts them by code.
# ---------------------------------------------------------------------------------------------------

resource "google_logging_metric" "stripe_webhooks_refused" {
  project     = var.project_id
  name        = "driftcontrol/stripe_webhooks_refused"
  description = "Requests to stripe-events refused at the Stripe-Signature check, by reason."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"stripe-events\" AND jsonPayload.event = \"stripe_webhook_refused\""

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "code"
      value_type  = "STRING"
      description = "Why: missing_signature, bad_signature or timestamp_outside_tolerance."
    }
  }

  label_extractors = {
    code = "EXTRACT(jsonPayload.code)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "stripe_webhooks_refused" {
  project      = var.project_id
  display_name = "driftcontrol: Stripe webhook deliveries refused"
  combiner     = "OR"
  severity     = "WARNING"

  # All reasons together: the documentation below tells them apart (the metric keeps the code).
  conditions {
    display_name = "refused deliveries > ${var.stripe_webhook_refused_alert_threshold_deliveries} in ${var.stripe_webhook_refused_alert_window_s} s"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.stripe_webhooks_refused.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.stripe_webhook_refused_alert_threshold_deliveries
      duration        = "0s"
      aggregations {
        alignment_period     = "${var.stripe_webhook_refused_alert_window_s}s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "stripe-events refused more webhook deliveries than expected (metric ${google_logging_metric.stripe_webhooks_refused.name}, by label code; logs: jsonPayload.event = \"stripe_webhook_refused\"). bad_signature from Stripe's own deliveries (the Stripe dashboard shows the endpoint's deliveries failing with 400) means the signing secret in Secret Manager is not the endpoint's current one: add the endpoint's secret as a new version and redeploy (docs/deploy.md, \"Stripe webhooks\"); Stripe retries each delivery for up to 3 days and may disable an endpoint that keeps failing. missing_signature or bad_signature with no failures in the dashboard is someone else calling the public URL: nothing is read or written for them. timestamp_outside_tolerance means deliveries older than the 5-minute tolerance: replays, or a clock or queueing problem."
  }

  notification_channels = var.notification_channel_ids

  depends_on = [google_project_service.enabled]
}
