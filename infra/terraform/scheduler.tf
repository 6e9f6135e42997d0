# Cloud Scheduler -> detect-drift, one job per drift system (docs/design.md, "The shape"), after the
# mirror lands; and -> event-sweeper, every minute (the event path: the checks stripe-events scheduled).

locals {
  landing_parts        = split(":", var.mirror_landing_time_utc)
  detect_minute_of_day = (tonumber(local.landing_parts[0]) * 60 + tonumber(local.landing_parts[1]) + var.detect_delay_after_landing_min) % 1440
  detect_cron          = "${local.detect_minute_of_day % 60} ${floor(local.detect_minute_of_day / 60)} * * *"
  # modules/function gives the URI only once the function's invokers are granted (this identity,
  # through local.function_invoker_members in functions.tf), so no job calls before it may.
  detect_drift_uri = module.function["detect-drift"].function_uri
}

# The only principal allowed to invoke detect-drift and event-sweeper (local.function_invoker_members
# in functions.tf).
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "dc-scheduler"
  display_name = "driftcontrol Cloud Scheduler invoker of detect-drift and event-sweeper"
}

resource "google_cloud_scheduler_job" "detect_drift" {
  for_each = toset(local.drift_systems)

  project     = var.project_id
  region      = var.region
  name        = "detect-drift-${each.key}"
  description = "Daily ${each.key} drift detection, ${var.detect_delay_after_landing_min} min after the mirror's landing time (${var.mirror_landing_time_utc} UTC)."
  schedule    = local.detect_cron
  time_zone   = "Etc/UTC"
  paused      = var.scheduler_paused

  # The scheduler gives up on an attempt after this; detect-drift's timeout fits inside it.
  attempt_deadline = "${min(local.function_settings["detect-drift"].timeout_s + 30, 1800)}s"

  # A not-yet-landed mirror is answered with a retryable error: retry with backoff. Retries keep the
  # X-CloudScheduler-ScheduleTime header, and the run ledger makes a repeated call a no-op.
  retry_config {
    retry_count          = var.scheduler_retry_count
    min_backoff_duration = "${var.scheduler_min_backoff_s}s"
    max_backoff_duration = "${var.scheduler_max_backoff_s}s"
    max_doublings        = var.scheduler_max_doublings
    max_retry_duration   = "0s"
  }

  # The system travels both in the JSON body and as a query parameter; the handler may read either.
  http_target {
    http_method = "POST"
    uri         = "${local.detect_drift_uri}?system=${each.key}"
    body        = base64encode(jsonencode({ system = each.key, trigger = "scheduled" }))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.detect_drift_uri
    }
  }

  depends_on = [google_project_service.enabled]
}

# ---------------------------------------------------------------------------------------------------
# event-sweeper: every minute, hands the account checks whose settle delay has passed to gather.
# ---------------------------------------------------------------------------------------------------

locals {
  # Read from the module like detect-drift's: known only once the scheduler may invoke it.
  event_sweeper_uri = module.function["event-sweeper"].function_uri

  # The scheduler waits no longer than the function may run (within Cloud Scheduler's 15-1800 s).
  event_sweeper_attempt_deadline_s = max(15, min(local.function_settings["event-sweeper"].timeout_s, 1800))
}

resource "google_cloud_scheduler_job" "event_sweeper" {
  project     = var.project_id
  region      = var.region
  name        = "event-sweeper"
  description = "Every minute: hands the account checks stripe-events scheduled, once their settle delay has passed, to gather."
  schedule    = "* * * * *"
  time_zone   = "Etc/UTC"
  paused      = var.scheduler_paused

  attempt_deadline = "${local.event_sweeper_attempt_deadline_s}s"

  # No retries: the next minute's call sweeps whatever this one left (a check stays pending until it is
  # handed on), so a retry would only overlap the next run. event-sweeper runs on one instance with one
  # request at a time, and a check is deleted only at the version it was read at, so an overlap is safe
  # anyway.
  retry_config {
    retry_count = 0
  }

  # The sweep reads nothing from the request: the body only says who called.
  http_target {
    http_method = "POST"
    uri         = local.event_sweeper_uri
    body        = base64encode(jsonencode({ trigger = "scheduled" }))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.event_sweeper_uri
    }
  }

  depends_on = [google_project_service.enabled]
}
