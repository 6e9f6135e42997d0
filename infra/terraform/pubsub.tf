# Hop topics (TOPICS in shared/contracts/topology.ts). Consumer subscriptions, dead-letter topics and
# dead-letter subscriptions are created per consumer by modules/event-function.

resource "google_pubsub_topic" "hop" {
  for_each = local.topics

  project = var.project_id
  name    = each.value
  labels  = local.labels

  # Topic retention lets a subscription seek to a time before it was created (or before an
  # accidental ack), the second replay path of DESIGN.md 2.
  # https://cloud.google.com/pubsub/docs/replay-overview
  message_retention_duration = "${var.topic_message_retention_s}s"

  depends_on = [google_project_service.enabled]
}

# Each function publishes only to the topics listed for it in topology.ts.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = {
    for pair in flatten([
      for fn, topic_keys in local.publishes : [
        for key in topic_keys : { fn = fn, topic = key }
      ]
    ]) : "${pair.fn}/${pair.topic}" => pair
  }

  project = var.project_id
  topic   = google_pubsub_topic.hop[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.runtime_service_accounts[each.value.fn]}"
}

# Operators replay by republishing accounts (driftcontrol replay) and drain dead letters.
resource "google_pubsub_topic_iam_member" "operator_publisher" {
  for_each = {
    for pair in setproduct(keys(local.topics), var.operator_members) : "${pair[0]}/${pair[1]}" => {
      topic  = pair[0]
      member = pair[1]
    }
  }

  project = var.project_id
  topic   = google_pubsub_topic.hop[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}

resource "google_pubsub_subscription_iam_member" "operator_dead_letter_subscriber" {
  for_each = {
    for pair in setproduct(keys(local.dead_letter_subscriptions), var.operator_members) : "${pair[0]}/${pair[1]}" => {
      subscription = local.dead_letter_subscriptions[pair[0]]
      member       = pair[1]
    }
  }

  project      = var.project_id
  subscription = each.value.subscription
  role         = "roles/pubsub.subscriber"
  member       = each.value.member
}
