# Cloud Scheduler -> detect-drift, one job per drift system (docs/design.md, "The shape"), after the
# mirror lands; -> event-sweeper, every minute (the event path: the checks stripe-events scheduled);
# and -> classify-tickets, weekly (the ticket signal), when it is deployed.

locals {
  landing_parts        = split(":", var.mirror_landing_time_utc)
  detect_minute_of_day = (tonumber(local.landing_parts[0]) * 60 + tonumber(local.landing_parts[1]) + var.detect_delay_after_landing_min) % 1440
  detect_cron          = "${local.detect_minute_of_day % 60} ${floor(local.detect_minute_of_day / 60)} * * *"
  # modules/function gives the URI only once the function's invokers are granted (this identity,
  # through local.function_invoker_members in functions.tf), so no job calls before it may.
  detect_drift_uri = module.function["detect-drift"].function_uri
}

# The only principal allowed to invoke detect-drift and event-sweeper, and with the operators
# classify-tickets (local.function_invoker_members in functions.tf).
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "dc-scheduler"
  display_name = "driftcontrol Cloud Scheduler invoker of detect-drift, event-sweeper, classify-tickets"
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

# ---------------------------------------------------------------------------------------------------
# classify-tickets: weekly, classifies the ISO week that just ended (Monday to Monday, UTC). Created only
# when classify-tickets is deployed (var.jira_base_url set: local.deployed_functions).
# ---------------------------------------------------------------------------------------------------

locals {
  # The deployed functions the weekly job calls: classify-tickets, or none.
  tickets_job_functions = [for fn in ["classify-tickets"] : fn if contains(local.deployed_function_names, fn)]
}

resource "google_cloud_scheduler_job" "classify_tickets" {
  for_each = toset(local.tickets_job_functions)

  project     = var.project_id
  region      = var.region
  name        = each.key
  description = "Weekly (${var.tickets_schedule}, UTC): classifies the Jira tickets (BILL, CUSTESC) of the ISO week that ended before the call into BigQuery, once per week and taxonomy version."
  schedule    = var.tickets_schedule
  # The week the call classifies is read from X-CloudScheduler-ScheduleTime in UTC, and ISO weeks are
  # UTC weeks: the schedule is read in UTC too, so it never straddles a week boundary with DST.
  time_zone = "Etc/UTC"
  paused    = var.scheduler_paused

  # The scheduler waits as long as the function may run (within Cloud Scheduler's 15-1800 s).
  attempt_deadline = "${max(15, min(local.function_settings[each.key].timeout_s + 30, 1800))}s"

  # Jira or BigQuery unavailable (5xx), or the week still held by another run (409): retry with backoff.
  # Retries keep X-CloudScheduler-ScheduleTime, so they classify the same week, and the week's ledger
  # makes a retry after success a no-op (already_ran).
  retry_config {
    retry_count          = var.scheduler_retry_count
    min_backoff_duration = "${var.scheduler_min_backoff_s}s"
    max_backoff_duration = "${var.scheduler_max_backoff_s}s"
    max_doublings        = var.scheduler_max_doublings
    max_retry_duration   = "0s"
  }

  # An empty body: the function classifies the last complete week before the schedule time, with the
  # taxonomy version TAXONOMY_VERSION names (or the newest), unforced. Operators name a week, a version
  # or force in their own calls (docs/deploy.md, "Jira").
  http_target {
    http_method = "POST"
    uri         = module.function[each.key].function_uri
    body        = base64encode(jsonencode({}))
    headers = {
      "Content-Type" = "application/json"
    }

    # Read from the module like detect-drift's: known only once the scheduler may invoke it.
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = module.function[each.key].function_uri
    }
  }

  depends_on = [google_project_service.enabled]
}
