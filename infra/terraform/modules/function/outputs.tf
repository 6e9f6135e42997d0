output "function_name" {
  description = "Name of the deployed function (equals its Cloud Run service name)."
  value       = google_cloudfunctions2_function.this.name
}

output "function_uri" {
  description = "HTTPS URI of the function's Cloud Run service. Known only once its invokers are granted, so a caller that reads it (a scheduler job) never calls before it may."
  value       = google_cloudfunctions2_function.this.service_config[0].uri

  depends_on = [
    google_cloud_run_service_iam_member.invoker,
    google_cloud_run_service_iam_member.public_invoker,
    google_cloud_run_service_iam_member.push_invoker,
  ]
}

output "runtime_service_account_email" {
  description = "Email of the function's runtime service account; grant it what the function's code needs."
  value       = google_service_account.runtime.email
}

output "push_service_account_email" {
  description = "Email of the identity Pub/Sub pushes as, the only invoker of a Pub/Sub-fed function; null for an HTTP function."
  value       = one(google_service_account.push[*].email)
}

output "subscription_name" {
  description = "Name of the push subscription feeding the function; null for an HTTP function."
  value       = one(google_pubsub_subscription.trigger[*].name)
}

output "dead_letter_topic_name" {
  description = "Name of the dead-letter topic of the subscription; null for an HTTP function."
  value       = one(google_pubsub_topic.dead_letter[*].name)
}

output "dead_letter_subscription_name" {
  description = "Name of the pull subscription that keeps dead-lettered messages for replay; null for an HTTP function."
  value       = one(google_pubsub_subscription.dead_letter[*].name)
}
