# Where the objects of the previous layout live now, so that applying this layout to an existing
# deployment moves them in state instead of destroying and recreating them (a recreated topic or
# subscription would lose its retained messages, a recreated function would be down until rebuilt).
# The previous layout keyed the hop topics in snake_case, deployed detect-drift as root resources and
# each consumer with its own call of modules/event-function; the moved blocks at the end of
# modules/function/main.tf then move that module's Pub/Sub resources to their count index.
# test/infra/moved.test.ts has Terraform plan the switch over a state of the previous layout: moves
# only. Keep these blocks until every deployment has applied this layout once.

# Hop topics: keyed by the topic keys of shared/contracts/topology.json.

moved {
  from = google_pubsub_topic.hop["stripe_drift_accounts"]
  to   = google_pubsub_topic.hop["stripeDriftAccounts"]
}

moved {
  from = google_pubsub_topic.hop["account_views"]
  to   = google_pubsub_topic.hop["accountViews"]
}

moved {
  from = google_pubsub_topic.hop["www_drift_zones"]
  to   = google_pubsub_topic.hop["wwwDriftZones"]
}

moved {
  from = google_pubsub_topic.hop["audit_events"]
  to   = google_pubsub_topic.hop["auditEvents"]
}

# Publisher grants: "<function>/<topic key>". A new key without these would remove and re-add the same
# binding in no fixed order. (Operator grants keep their keys: pubsub.tf.)

moved {
  from = google_pubsub_topic_iam_member.publisher["detect-drift/stripe_drift_accounts"]
  to   = google_pubsub_topic_iam_member.publisher["detect-drift/stripeDriftAccounts"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["detect-drift/www_drift_zones"]
  to   = google_pubsub_topic_iam_member.publisher["detect-drift/wwwDriftZones"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["detect-drift/audit_events"]
  to   = google_pubsub_topic_iam_member.publisher["detect-drift/auditEvents"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["gather/account_views"]
  to   = google_pubsub_topic_iam_member.publisher["gather/accountViews"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["gather/audit_events"]
  to   = google_pubsub_topic_iam_member.publisher["gather/auditEvents"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["plan-apply/audit_events"]
  to   = google_pubsub_topic_iam_member.publisher["plan-apply/auditEvents"]
}

moved {
  from = google_pubsub_topic_iam_member.publisher["www-resync/audit_events"]
  to   = google_pubsub_topic_iam_member.publisher["www-resync/auditEvents"]
}

# The four consumers: one module call each -> one instance each of module.function.

moved {
  from = module.gather
  to   = module.function["gather"]
}

moved {
  from = module.plan_apply
  to   = module.function["plan-apply"]
}

moved {
  from = module.www_resync
  to   = module.function["www-resync"]
}

moved {
  from = module.audit_writer
  to   = module.function["audit-writer"]
}

# detect-drift: its function, runtime identity and scheduler invoker grant were root resources.

moved {
  from = google_service_account.detect_drift
  to   = module.function["detect-drift"].google_service_account.runtime
}

moved {
  from = google_cloudfunctions2_function.detect_drift
  to   = module.function["detect-drift"].google_cloudfunctions2_function.this
}

moved {
  from = google_cloud_run_service_iam_member.detect_drift_invoker
  to   = module.function["detect-drift"].google_cloud_run_service_iam_member.invoker["scheduler"]
}
