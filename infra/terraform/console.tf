# The support console (the console function of topology.json): read-only pages for people, served at
# var.console_domain through an external HTTPS load balancer whose backend service has Identity-Aware
# Proxy (IAP) enabled. Everything here exists only when the console is deployed (var.console_domain set:
# local.deployed_functions, main.tf), keyed by its function name like the function itself.
#
# Why a load balancer and not IAP on the Cloud Run service itself: the console is a Cloud Functions gen2
# function (modules/function, like every function here), and google_cloudfunctions2_function has no IAP
# setting; the Cloud Run service under it belongs to Cloud Functions, so Terraform cannot set iap_enabled
# on it through google_cloud_run_v2_service either. A global external Application Load Balancer with a
# serverless NEG in front of the function, IAP on its backend service, is the documented way for a
# function (https://cloud.google.com/iap/docs/enabling-cloud-run), and it gives the console its own
# hostname, certificate and TLS policy.
#
# The path of a request: DNS (console_domain -> the global address) -> HTTPS forwarding rule -> target
# proxy (managed certificate, TLS 1.2+) -> URL map -> backend service (IAP: signs in the person, checks
# roles/iap.httpsResourceAccessor, adds the signed x-goog-iap-jwt-assertion header) -> serverless NEG ->
# the function, invoked as IAP's service agent (the only run.invoker, functions.tf), with ingress
# ALLOW_INTERNAL_AND_GCLB so the run.app URL refuses everything not from a load balancer. The code then
# verifies the assertion against IAP_AUDIENCE (this backend service) before it reads anything.
#
# The cycle to avoid: the function's environment needs the backend service's id (IAP_AUDIENCE), so
# nothing here may read module.function: the NEG names the function's Cloud Run service by the
# function's name (each.key, the same string modules/function is given as its name), not by a module
# output.

locals {
  # The deployed console, or nothing. From the topology and variables only, so the keys of every
  # resource below are known when planning.
  console_functions = [for fn in ["console"] : fn if contains(local.deployed_function_names, fn)]

  # Compute Engine (the load balancer) and IAP, enabled with the other APIs (main.tf) only with the
  # console.
  console_apis = length(local.console_functions) > 0 ? ["compute.googleapis.com", "iap.googleapis.com"] : []

  # The audience IAP puts in the assertions it signs for this backend service, in the form IAP documents
  # for a backend service (/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID, numeric id):
  # https://cloud.google.com/iap/docs/signed-headers-howto#verifying_the_jwt_payload
  # The console's IAP_AUDIENCE (functions.tf).
  console_iap_audiences = {
    for fn in local.console_functions :
    fn => "/projects/${data.google_project.console[fn].number}/global/backendServices/${google_compute_backend_service.console[fn].generated_id}"
  }

  # The certificate's name carries a hash of the domain: a managed certificate cannot change its domain,
  # so a new domain gets a new certificate, created before the old one is detached (create_before_destroy).
  console_certificate_suffix = substr(sha256(var.console_domain), 0, 8)
}

# The project number, for IAP_AUDIENCE.
data "google_project" "console" {
  for_each = toset(local.console_functions)

  project_id = var.project_id
}

# IAP's service agent (service-PROJECT_NUMBER@gcp-sa-iap.iam.gserviceaccount.com) exists once IAP is
# used in the project; this makes it exist before the function grants it run.invoker
# (local.function_invoker_members, functions.tf) and gives its email.
resource "google_project_service_identity" "iap" {
  provider = google-beta
  for_each = toset(local.console_functions)

  project = var.project_id
  service = "iap.googleapis.com"

  depends_on = [google_project_service.enabled]
}

# The function's Cloud Run service as a load balancer backend. A gen2 function is a Cloud Run service
# of the same name, which the Cloud Run NEG type serves
# (https://cloud.google.com/load-balancing/docs/negs/serverless-neg-concepts).
resource "google_compute_region_network_endpoint_group" "console" {
  for_each = toset(local.console_functions)

  project               = var.project_id
  region                = var.region
  name                  = "driftcontrol-${each.key}"
  network_endpoint_type = "SERVERLESS"

  # each.key, not module.function[...].function_name: the function's environment reads the backend
  # service below, which reads this (see the file comment).
  cloud_run {
    service = each.key
  }

  depends_on = [google_project_service.enabled]
}

# IAP is enabled here, with Google's managed OAuth client (no client id or secret: nothing of it enters
# Terraform or state). It admits people of the organisation the OAuth consent screen allows
# (docs/deploy.md, "Support console"), and of those only var.console_members (below).
resource "google_compute_backend_service" "console" {
  for_each = toset(local.console_functions)

  project               = var.project_id
  name                  = "driftcontrol-${each.key}"
  description           = "The driftcontrol support console (function ${each.key}) behind Identity-Aware Proxy."
  load_balancing_scheme = "EXTERNAL_MANAGED"

  # No protocol, timeout or health check: as the serverless NEG guide creates it (a serverless backend
  # takes neither a timeout nor a health check; the function's own timeout_s bounds a request).
  backend {
    group = google_compute_region_network_endpoint_group.console[each.key].id
  }

  iap {
    enabled = true
  }

  # One log entry per request (who is in IAP's own audit logs): what was asked of the console, and when.
  log_config {
    enable      = true
    sample_rate = 1
  }
}

# The people allowed through IAP, on this backend service only: nothing on the project, the function,
# the data or the secrets (the console reads as its own identity).
resource "google_iap_web_backend_service_iam_member" "console_access" {
  for_each = {
    for pair in setproduct(local.console_functions, var.console_members) : "${pair[0]}/${pair[1]}" => {
      fn     = pair[0]
      member = pair[1]
    }
  }

  project             = var.project_id
  web_backend_service = google_compute_backend_service.console[each.value.fn].name
  role                = "roles/iap.httpsResourceAccessor"
  member              = each.value.member
}

resource "google_compute_url_map" "console" {
  for_each = toset(local.console_functions)

  project         = var.project_id
  name            = "driftcontrol-${each.key}"
  description     = "Every path of the support console to its IAP backend."
  default_service = google_compute_backend_service.console[each.key].id
}

resource "google_compute_managed_ssl_certificate" "console" {
  for_each = toset(local.console_functions)

  project = var.project_id
  name    = "driftcontrol-${each.key}-${local.console_certificate_suffix}"

  managed {
    domains = [var.console_domain]
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.enabled]
}

# TLS 1.2 or newer, modern ciphers only: the pages show customers' billing.
resource "google_compute_ssl_policy" "console" {
  for_each = toset(local.console_functions)

  project         = var.project_id
  name            = "driftcontrol-${each.key}"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_https_proxy" "console" {
  for_each = toset(local.console_functions)

  project          = var.project_id
  name             = "driftcontrol-${each.key}"
  url_map          = google_compute_url_map.console[each.key].id
  ssl_certificates = [google_compute_managed_ssl_certificate.console[each.key].id]
  ssl_policy       = google_compute_ssl_policy.console[each.key].id
}

# The address console_domain's DNS A record points at (output console_ip_address).
resource "google_compute_global_address" "console" {
  for_each = toset(local.console_functions)

  project     = var.project_id
  name        = "driftcontrol-${each.key}"
  description = "The support console's address: the A record of var.console_domain."
  labels      = local.labels

  depends_on = [google_project_service.enabled]
}

resource "google_compute_global_forwarding_rule" "console_https" {
  for_each = toset(local.console_functions)

  project               = var.project_id
  name                  = "driftcontrol-${each.key}-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.console[each.key].id
  port_range            = "443"
  target                = google_compute_target_https_proxy.console[each.key].id
  labels                = local.labels
}

# Plain HTTP on the same address only redirects to HTTPS (a person typing the bare hostname); it never
# reaches the backend service.
resource "google_compute_url_map" "console_http_redirect" {
  for_each = toset(local.console_functions)

  project     = var.project_id
  name        = "driftcontrol-${each.key}-http-redirect"
  description = "Redirects plain HTTP to the support console's HTTPS."

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_target_http_proxy" "console_http_redirect" {
  for_each = toset(local.console_functions)

  project = var.project_id
  name    = "driftcontrol-${each.key}-http-redirect"
  url_map = google_compute_url_map.console_http_redirect[each.key].id
}

resource "google_compute_global_forwarding_rule" "console_http" {
  for_each = toset(local.console_functions)

  project               = var.project_id
  name                  = "driftcontrol-${each.key}-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.console[each.key].id
  port_range            = "80"
  target                = google_compute_target_http_proxy.console_http_redirect[each.key].id
  labels                = local.labels
}
