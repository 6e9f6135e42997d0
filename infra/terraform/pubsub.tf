# Hop topics (topics in shared/contracts/topology.json, keyed as the code keys them), but the external
# ones (externalTopics: the OPE team's change topic), which another team owns: this deployment never
# creates one, never grants anything on one and never publishes to one (local.hop_topics, main.tf).
# Consumer subscriptions, dead-letter topics and dead-letter subscriptions are created per Pub/Sub-fed
# function by modules/function, an external topic's included (on the id var.ope_change_topic_id gives).

resource "google_pubsub_topic" "hop" {
  for_each = local.hop_topics

  project = var.project_id
  name    = each.value
  labels  = local.labels

  # Topic retention lets a subscription seek to a time before it was created (or before an
  # accidental ack), the second replay path (docs/deploy.md, "Replay").
  # https://cloud.google.com/pubsub/docs/replay-overview
  message_retention_duration = "${var.topic_message_retention_s}s"

  depends_on = [google_project_service.enabled]
}

# Each deployed function publishes only to the topics listed for it in topology.json (publishes): gather
# alone to accountViews, the pipeline functions (ope-events too) to auditEvents. These and the operators'
# grant on the replay entry (below) are the only publish grants on the hop topics, and there are none
# on an external topic: a `publishes` naming one fails the plan (precondition) rather than deploy code
# that would publish to another team's topic.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = {
    for pair in flatten([
      for fn, topic_keys in local.publishes : [
        for key in topic_keys : { fn = fn, topic = key }
      ] if contains(local.deployed_function_names, fn)
    ]) : "${pair.fn}/${pair.topic}" => pair
  }

  project = var.project_id
  topic   = google_pubsub_topic.hop[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.runtime_service_accounts[each.value.fn]}"

  lifecycle {
    precondition {
      condition     = !contains(local.external_topic_keys, each.value.topic)
      error_message = "topology.json lets ${each.value.fn} publish to ${each.value.topic}, an external topic: driftcontrol never publishes to another team's topic."
    }
  }
}

locals {
  # Instance keys of the operator grants: "<topic key in snake_case>/<member>", as before the topology
  # moved to topology.json (stripe_drift_accounts for stripeDriftAccounts). The members are a variable,
  # so no moved block can name these instances; a changed key would remove and re-add the same binding
  # in no fixed order, and could leave an operator without it until the next apply.
  operator_topic_grant_keys = { for k in keys(local.hop_topics) : k => lower(replace(k, "/([A-Z])/", "_$1")) }

  # The only topics operators may publish to: the replay entries, where `driftcontrol replay`
  # republishes what detection would have published: accounts for gather (stripeDriftAccounts) and,
  # from www-resync's dead letter, zones for www-resync (wwwDriftZones). shared/pipeline/replay.ts
  # publishes to exactly these keys; test/infra holds the two together. A message there is a trigger
  # (an account or zone id) that its consumer re-reads live before acting, under the kill switch and
  # dry-run, so a forged one can only cause a re-read. The other hops carry what the pipeline decided
  # (an AccountView plan-apply acts on, an audit row): only the functions whose topology.json
  # `publishes` names a topic may publish to it (google_pubsub_topic_iam_member.publisher above),
  # operators never.
  operator_publish_topic_keys = ["stripeDriftAccounts", "wwwDriftZones"]
}

# Operators replay by republishing accounts and zones (driftcontrol replay), to the replay entries only.
resource "google_pubsub_topic_iam_member" "operator_publisher" {
  for_each = {
    for pair in setproduct(local.operator_publish_topic_keys, var.operator_members) : "${local.operator_topic_grant_keys[pair[0]]}/${pair[1]}" => {
      topic  = pair[0]
      member = pair[1]
    }
  }

  project = var.project_id
  topic   = google_pubsub_topic.hop[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member

  lifecycle {
    precondition {
      condition     = !contains(local.external_topic_keys, each.value.topic)
      error_message = "Operators may publish to replay entries only, never to ${each.value.topic}, an external topic."
    }
  }
}

# Operators drain dead letters (driftcontrol replay --from-dead-letter, gcloud pubsub subscriptions
# pull): pull and acknowledge need pubsub.subscriptions.consume on the subscription, which
# roles/pubsub.subscriber holds; neither needs pubsub.subscriptions.get (roles/pubsub.viewer), and the
# CLI's streaming pull reads no subscription metadata, so none is granted. Seeing the subscriptions in
# the console would need viewer; gcloud and the CLI do not.
# https://cloud.google.com/pubsub/docs/access-control
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
