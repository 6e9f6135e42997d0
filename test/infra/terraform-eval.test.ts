// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions, not JS templates.
/**
 * Runs the root module's own expressions through the real Terraform binary (offline: locals and outputs
 * need no provider), so the functions Terraform evaluates (fileset, regex replace, sha256, cron maths)
 * are checked as Terraform evaluates them, not as the tests imagine they do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, FUNCTIONS, TOPICS } from '../../shared/contracts/topology.js';
import { ddlFiles, viewDdl, viewFiles } from '../../shared/warehouse/sql-files.js';
import { evaluateRoot, SAMPLE_VARS } from './evaluate.js';
import { evalTerraform, makeDist, runPackage } from './fixtures.js';
import { type Body, loadModule, resource, type TfModule } from './hcl.js';

let root: TfModule;
const work = mkdtempSync(join(tmpdir(), 'tf-eval-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  root = await loadModule('root');
});

/** The named root locals, verbatim, plus literal overrides for what depends on path.module. */
function locals(names: readonly string[], overrides: Record<string, unknown>): Body {
  const out: Body = { ...overrides };
  for (const n of names) {
    if (!(n in overrides)) {
      expect(root.locals[n], `local.${n}`).toBeDefined();
      out[n] = root.locals[n];
    }
  }
  return out;
}

describe('the source archive hash Terraform computes', () => {
  it('equals the hash scripts/package-functions.mjs prints for the same folder', () => {
    const dist = join(work, 'dist');
    const out = join(work, 'out');
    makeDist(dist);
    const res = runPackage(dist, out);
    expect(res.status, res.stderr).toBe(0);
    const printed = JSON.parse(res.stdout) as { sha256: string; object: string };
    const tf = evalTerraform(
      locals(['functions_source_files', 'functions_source_sha256', 'functions_source_object'], {
        functions_source_dir: out,
      }),
      {},
      ['functions_source_sha256', 'functions_source_object'],
    );
    expect(tf.functions_source_sha256).toBe(printed.sha256);
    expect(tf.functions_source_object).toBe(printed.object);
  });
});

describe('the warehouse scripts Terraform runs', () => {
  let tf: Record<string, unknown>;
  beforeAll(async () => {
    // The views go to the observability dataset of topology.json, which Terraform reads itself.
    tf = await evaluateRoot(root, {
      outputs: {
        views_script: '${local.views_script}',
        ddl_script: '${local.ddl_script}',
        view_files: '${local.view_files}',
        ddl_files: '${local.ddl_files}',
      },
      vars: { project_id: 'acme-proj' },
    });
  });

  it('deploys every view file, in file order, exactly as the warehouse code deploys it', () => {
    const views = viewFiles();
    expect(tf.view_files).toEqual(views.map((v) => v.file));
    const expected = views
      .map((v) => {
        const local = viewDdl(v);
        const qualified = local.replace(
          `VIEW ${DATASETS.observability}.${v.name} AS`,
          `VIEW \`acme-proj.${DATASETS.observability}.${v.name}\` AS`,
        );
        expect(qualified, `${v.file}: viewDdl shape`).not.toBe(local);
        return `-- ${v.file}\n${qualified}\n;\n`;
      })
      .join('');
    expect(tf.views_script).toBe(expected);
  });

  it('runs every DDL file as written, in file order', () => {
    const ddl = ddlFiles();
    expect(tf.ddl_files).toEqual(ddl.map((f) => f.file));
    const expected = ddl.map((f) => `-- ${f.file}\n${f.sql.trim().replace(/;\s*$/, '')}\n;\n`).join('');
    expect(tf.ddl_script).toBe(expected);
  });

  it('strips a trailing semicolon but keeps the body', () => {
    const out = evalTerraform(
      { body: '${replace(trimspace("SELECT 1 AS x;  \\n"), "/;\\\\s*$/", "")}' },
      {},
      ['body'],
    );
    expect(out.body).toBe('SELECT 1 AS x');
  });
});

describe('the scheduler cron', () => {
  it.each([
    ['04:00', 30, '30 4 * * *'],
    ['05:45', 30, '15 6 * * *'],
    ['23:50', 20, '10 0 * * *'],
    ['00:00', 0, '0 0 * * *'],
  ] as const)('landing %s + %i min runs at "%s" UTC', (landing, delay, cron) => {
    const out = evalTerraform(
      locals(['landing_parts', 'detect_minute_of_day', 'detect_cron'], {}),
      { mirror_landing_time_utc: landing, detect_delay_after_landing_min: delay },
      ['detect_cron'],
    );
    expect(out.detect_cron).toBe(cron);
  });
});

describe('function sizing', () => {
  it('an override changes only the attributes given, for the function given', async () => {
    const out = await evaluateRoot(root, {
      outputs: {
        function_settings: '${local.function_settings}',
        function_defaults: '${local.function_defaults}',
      },
      vars: { function_settings_overrides: { gather: { max_instances: 3 } } },
    });
    const settings = out.function_settings as Record<string, Record<string, unknown>>;
    const defaults = out.function_defaults as Record<string, Record<string, unknown>>;
    expect(settings.gather).toEqual({ ...defaults.gather, max_instances: 3 });
    for (const f of FUNCTIONS.filter((x) => x.name !== 'gather'))
      expect(settings[f.name]).toEqual(defaults[f.name]);
  });
});

describe('publisher grants', () => {
  it('are exactly the (function, topic) pairs of topology.json, on each function’s own account', async () => {
    const grant = resource(root, 'google_pubsub_topic_iam_member', 'publisher').body;
    const out = await evaluateRoot(root, {
      outputs: {
        grants: grant.for_each,
        topics: '${local.topics}',
        accounts: '${local.runtime_service_accounts}',
      },
      // Names the OPE change topic, so every function (ope-events too) is deployed.
      vars: SAMPLE_VARS,
    });
    const topics = out.topics as Record<string, string>;
    const grants = Object.entries(out.grants as Record<string, { fn: string; topic: string }>).map(
      ([key, g]) => {
        expect(key).toBe(`${g.fn}/${g.topic}`);
        return `${g.fn} -> ${topics[g.topic]}`;
      },
    );
    const expected = FUNCTIONS.flatMap((f) => f.publishes.map((k) => `${f.name} -> ${TOPICS[k]}`));
    expect(grants.sort()).toEqual(expected.sort());
    expect(grant.member).toBe('serviceAccount:${local.runtime_service_accounts[each.value.fn]}');
    expect(Object.keys(out.accounts as Body).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });
});

describe('operator grants', () => {
  it('publish on the replay entry topics only and pull every dead letter, keyed as before topology.json', async () => {
    const member = 'group:billing-oncall@example.com';
    const out = await evaluateRoot(root, {
      outputs: {
        publish: resource(root, 'google_pubsub_topic_iam_member', 'operator_publisher').body.for_each,
        pull: resource(root, 'google_pubsub_subscription_iam_member', 'operator_dead_letter_subscriber').body
          .for_each,
      },
      vars: { ...SAMPLE_VARS, operator_members: [member] },
    });
    // The instance keys of the previous layout: no moved block can follow these (the members are a
    // variable), so they must not change (pubsub.tf). The grants on accountViews and auditEvents are
    // gone: only the pipeline publishes there (least-privilege.test.ts).
    const entries = ['stripeDriftAccounts', 'wwwDriftZones'];
    const legacy = ['stripe_drift_accounts', 'www_drift_zones'];
    const publish = out.publish as Record<string, { topic: string; member: string }>;
    expect(Object.keys(publish).sort()).toEqual(legacy.map((k) => `${k}/${member}`).sort());
    expect(
      Object.values(publish)
        .map((g) => g.topic)
        .sort(),
    ).toEqual(entries);
    for (const k of entries) expect(Object.keys(TOPICS)).toContain(k);
    for (const g of Object.values(publish)) expect(g.member).toBe(member);
    const pull = out.pull as Record<string, { subscription: string; member: string }>;
    const consumers = FUNCTIONS.filter((f) => f.trigger.kind === 'pubsub').map((f) => f.name);
    expect(Object.keys(pull).sort()).toEqual(consumers.map((f) => `${f}/${member}`).sort());
    for (const f of consumers)
      expect(pull[`${f}/${member}`]?.subscription).toBe(`module.function.${f}.dead_letter_subscription_name`);
  });
});

describe('variable validations, as Terraform enforces them', () => {
  const PUBSUB: Body = { trigger_topic_name: 'drift-account-views' };
  const HTTP: Body = { trigger_topic_name: null };
  interface Case {
    readonly module: 'root' | 'function';
    readonly name: string;
    readonly value: unknown;
    readonly ok: boolean;
    /** Other variables the validation reads. */
    readonly with?: Body;
  }
  const cases: readonly Case[] = [
    { module: 'root', name: 'operator_members', value: ['group:billing-oncall@example.com'], ok: true },
    { module: 'root', name: 'operator_members', value: ['allUsers'], ok: false },
    { module: 'root', name: 'operator_members', value: ['allAuthenticatedUsers'], ok: false },
    { module: 'root', name: 'mirror_landing_time_utc', value: '04:00', ok: true },
    { module: 'root', name: 'mirror_landing_time_utc', value: '24:00', ok: false },
    { module: 'root', name: 'mirror_landing_time_utc', value: '4:00', ok: false },
    {
      module: 'root',
      name: 'function_settings_overrides',
      value: { 'plan-apply': { max_instances: 2 } },
      ok: true,
    },
    {
      module: 'root',
      name: 'function_settings_overrides',
      value: { planapply: { max_instances: 2 } },
      ok: false,
    },
    { module: 'root', name: 'subs_api_base_url', value: 'https://subs-api.internal.example.com', ok: true },
    { module: 'root', name: 'subs_api_base_url', value: '', ok: true },
    { module: 'root', name: 'subs_api_base_url', value: 'subs-api.internal.example.com', ok: false },
    { module: 'root', name: 'www_base_url', value: 'http://10.0.0.7:8080', ok: true },
    { module: 'root', name: 'www_base_url', value: 'https://www api', ok: false },
    { module: 'root', name: 'topic_message_retention_s', value: 2678400, ok: true },
    { module: 'root', name: 'topic_message_retention_s', value: 2678401, ok: false },
    { module: 'root', name: 'ingress_settings', value: 'ALLOW_INTERNAL_ONLY', ok: true },
    { module: 'root', name: 'ingress_settings', value: 'ALLOW_ALL', ok: true },
    { module: 'root', name: 'ingress_settings', value: 'ALLOW_EVERYONE', ok: false },
    { module: 'root', name: 'ingress_settings_overrides', value: { 'detect-drift': 'ALLOW_ALL' }, ok: true },
    { module: 'root', name: 'ingress_settings_overrides', value: { detect_drift: 'ALLOW_ALL' }, ok: false },
    { module: 'root', name: 'ingress_settings_overrides', value: { gather: 'INTERNAL' }, ok: false },
    { module: 'root', name: 'firestore_database_id', value: 'driftcontrol', ok: true },
    { module: 'root', name: 'firestore_database_id', value: '(default)', ok: true },
    { module: 'root', name: 'firestore_database_id', value: 'Drift_Control', ok: false },
    { module: 'root', name: 'firestore_database_id', value: 'dc-', ok: false },
    { module: 'root', name: 'tickets_firestore_database_id', value: 'driftcontrol-tickets', ok: true },
    { module: 'root', name: 'tickets_firestore_database_id', value: '(default)', ok: false },
    { module: 'root', name: 'tickets_firestore_database_id', value: 'Tickets_DB', ok: false },
    // The control state's database would give classify-tickets the kill switch again.
    {
      module: 'root',
      name: 'tickets_firestore_database_id',
      value: 'driftcontrol',
      ok: false,
      with: { firestore_database_id: 'driftcontrol' },
    },
    {
      module: 'root',
      name: 'tickets_firestore_database_id',
      value: 'billing-drift-state',
      ok: false,
      with: { firestore_database_id: 'billing-drift-state' },
    },
    { module: 'root', name: 'stripe_gather_secret_id', value: 'stripe-gather-restricted-key', ok: true },
    { module: 'root', name: 'stripe_gather_secret_id', value: 'projects/acme/secrets/stripe', ok: false },
    {
      module: 'root',
      name: 'stripe_plan_apply_secret_id',
      value: 'stripe-plan-apply-restricted-key',
      ok: true,
      with: { stripe_gather_secret_id: 'stripe-gather-restricted-key' },
    },
    // One secret for both would give gather plan-apply's write key.
    {
      module: 'root',
      name: 'stripe_plan_apply_secret_id',
      value: 'stripe-key',
      ok: false,
      with: { stripe_gather_secret_id: 'stripe-key' },
    },
    { module: 'root', name: 'stripe_webhook_secret_id', value: 'stripe-webhook-signing-secret', ok: true },
    { module: 'root', name: 'stripe_webhook_secret_id', value: 'whsec in a name', ok: false },
    // The public function must never mount a Stripe API key: its secret cannot be either key's.
    {
      module: 'root',
      name: 'stripe_webhook_secret_id',
      value: 'stripe-gather-restricted-key',
      ok: false,
    },
    {
      module: 'root',
      name: 'stripe_webhook_secret_id',
      value: 'stripe-plan-apply-restricted-key',
      ok: false,
    },
    { module: 'root', name: 'stripe_webhook_refused_alert_threshold_deliveries', value: 0, ok: true },
    { module: 'root', name: 'stripe_webhook_refused_alert_threshold_deliveries', value: -1, ok: false },
    { module: 'root', name: 'stripe_webhook_refused_alert_window_s', value: 600, ok: true },
    { module: 'root', name: 'stripe_webhook_refused_alert_window_s', value: 30, ok: false },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'www-resync': { STRIPE_API_BASE: 'https://stripe.example.com' } },
      ok: true,
    },
    // The signature tolerance is a plain setting; the signing secret never (in either form).
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'stripe-events': { STRIPE_WEBHOOK_TOLERANCE_S: '120' } },
      ok: true,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'stripe-events': { STRIPE_WEBHOOK_SECRET: 'whsec_x' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'event-sweeper': { STRIPE_WEBHOOK_SECRET_FILE: '/secrets/webhook' } },
      ok: false,
    },
    { module: 'root', name: 'extra_environment_variables', value: { www_resync: { X: 'y' } }, ok: false },
    // Store tuning may be set per function; a secret never (it would land in state, next to its mount).
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { gather: { STORE_TIMEOUT_MS: '8000', STORE_READ_RETRIES: '3' } },
      ok: true,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { gather: { OPE_DATABASE_URL: 'postgres://ro:secret@10.0.0.5:5432/ope' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'plan-apply': { CF_PROD_DATABASE_URL_FILE: '/secrets/cf-prod' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'detect-drift': { STRIPE_API_KEY: 'sk_test_x' } },
      ok: false,
    },
    // The Firestore grants follow firestore_database_id; another database here would be refused anyway.
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'plan-apply': { FIRESTORE_DATABASE: '(default)' } },
      ok: false,
    },
    { module: 'root', name: 'ope_database_url_secret_id', value: 'ope-replica-database-url', ok: true },
    { module: 'root', name: 'billing_prod_database_url_secret_id', value: 'billing_prod-url', ok: true },
    { module: 'root', name: 'cf_prod_database_url_secret_id', value: 'cf prod url', ok: false },
    {
      module: 'root',
      name: 'ope_database_url_secret_id',
      value: 'projects/acme/secrets/ope-replica-database-url',
      ok: false,
    },
    { module: 'function', name: 'max_delivery_attempts', value: 4, ok: false },
    { module: 'function', name: 'max_delivery_attempts', value: 5, ok: true },
    { module: 'function', name: 'service_account_id', value: 'dc-plan-apply', ok: true },
    {
      module: 'function',
      name: 'service_account_id',
      value: 'dc-a-much-too-long-account-id',
      ok: false,
    },
    { module: 'function', name: 'timeout_s', value: 600, ok: true, with: { ...PUBSUB, ack_deadline_s: 600 } },
    {
      module: 'function',
      name: 'timeout_s',
      value: 601,
      ok: false,
      with: { ...PUBSUB, ack_deadline_s: 600 },
    },
    { module: 'function', name: 'timeout_s', value: 1500, ok: true, with: { ...HTTP, ack_deadline_s: 600 } },
    { module: 'function', name: 'timeout_s', value: 3601, ok: false, with: { ...HTTP, ack_deadline_s: 600 } },
    {
      module: 'function',
      name: 'invoker_members',
      value: { scheduler: 'serviceAccount:dc-scheduler@acme.iam.gserviceaccount.com' },
      ok: true,
      with: HTTP,
    },
    {
      module: 'function',
      name: 'invoker_members',
      value: { scheduler: 'serviceAccount:dc-scheduler@acme.iam.gserviceaccount.com' },
      ok: false,
      with: PUBSUB,
    },
    { module: 'function', name: 'invoker_members', value: { anyone: 'allUsers' }, ok: false, with: HTTP },
    // The only way to a public function: explicit, HTTP only, and with no named invoker beside it.
    {
      module: 'function',
      name: 'allow_unauthenticated',
      value: true,
      ok: true,
      with: { ...HTTP, invoker_members: {} },
    },
    {
      module: 'function',
      name: 'allow_unauthenticated',
      value: true,
      ok: false,
      with: { ...PUBSUB, invoker_members: {} },
    },
    {
      module: 'function',
      name: 'allow_unauthenticated',
      value: true,
      ok: false,
      with: {
        ...HTTP,
        invoker_members: { scheduler: 'serviceAccount:dc-scheduler@acme.iam.gserviceaccount.com' },
      },
    },
    {
      module: 'function',
      name: 'allow_unauthenticated',
      value: false,
      ok: true,
      with: {
        ...HTTP,
        invoker_members: { scheduler: 'serviceAccount:dc-scheduler@acme.iam.gserviceaccount.com' },
      },
    },
    {
      module: 'root',
      name: 'ingress_settings_overrides',
      value: { 'stripe-events': 'ALLOW_INTERNAL_AND_GCLB' },
      ok: true,
    },
    { module: 'function', name: 'ingress_settings', value: 'ALLOW_EVERYONE', ok: false },
    { module: 'function', name: 'ingress_settings', value: 'ALLOW_INTERNAL_ONLY', ok: true },
    // The OPE team's change topic: a full topic id, in any project, or nothing (ope-events not deployed).
    { module: 'root', name: 'ope_change_topic_id', value: null, ok: true },
    { module: 'root', name: 'ope_change_topic_id', value: '', ok: true },
    {
      module: 'root',
      name: 'ope_change_topic_id',
      value: 'projects/acme-ope-prod/topics/ope-subscription-changes',
      ok: true,
    },
    {
      module: 'root',
      name: 'ope_change_topic_id',
      value: 'projects/example.com:ope-platform/topics/Subscription.Changes_v2',
      ok: true,
    },
    // A bare name would be read as a topic of this project: refused, the id says where it lives.
    { module: 'root', name: 'ope_change_topic_id', value: 'ope-subscription-changes', ok: false },
    {
      module: 'root',
      name: 'ope_change_topic_id',
      value: 'projects/acme-ope-prod/subscriptions/ope-subscription-changes',
      ok: false,
    },
    {
      module: 'root',
      name: 'ope_change_topic_id',
      value: '//pubsub.googleapis.com/projects/acme-ope-prod/topics/ope-subscription-changes',
      ok: false,
    },
    { module: 'root', name: 'ope_change_topic_id', value: 'projects/Acme_Ope/topics/changes', ok: false },
    { module: 'root', name: 'ope_change_topic_id', value: 'projects/acme-ope-prod/topics/x', ok: false },
    {
      module: 'root',
      name: 'ope_change_topic_id',
      value: 'projects/acme-ope-prod/topics/ope-subscription-changes/extra',
      ok: false,
    },
    // Jira (classify-tickets): an https site or nothing (not deployed); its API user required with it.
    { module: 'root', name: 'jira_base_url', value: '', ok: true },
    { module: 'root', name: 'jira_base_url', value: 'https://acme.atlassian.net', ok: true },
    { module: 'root', name: 'jira_base_url', value: 'https://acme.atlassian.net/', ok: true },
    // The API token travels with every request: never in clear text.
    { module: 'root', name: 'jira_base_url', value: 'http://acme.atlassian.net', ok: false },
    { module: 'root', name: 'jira_base_url', value: 'acme.atlassian.net', ok: false },
    { module: 'root', name: 'jira_base_url', value: 'https://acme.atlassian.net/browse/BILL-1', ok: false },
    { module: 'root', name: 'jira_email', value: '', ok: true, with: { jira_base_url: '' } },
    {
      module: 'root',
      name: 'jira_email',
      value: '',
      ok: false,
      with: { jira_base_url: 'https://acme.atlassian.net' },
    },
    {
      module: 'root',
      name: 'jira_email',
      value: 'driftcontrol-jira@example.com',
      ok: true,
      with: { jira_base_url: 'https://acme.atlassian.net' },
    },
    {
      module: 'root',
      name: 'jira_email',
      value: 'driftcontrol-jira',
      ok: false,
      with: { jira_base_url: 'https://acme.atlassian.net' },
    },
    { module: 'root', name: 'jira_projects', value: ['BILL', 'CUSTESC'], ok: true },
    { module: 'root', name: 'jira_projects', value: [], ok: false },
    { module: 'root', name: 'jira_projects', value: ['bill'], ok: false },
    { module: 'root', name: 'jira_projects', value: ['BILL,CUSTESC'], ok: false },
    { module: 'root', name: 'jira_account_id_field', value: null, ok: true },
    { module: 'root', name: 'jira_account_id_field', value: 'customfield_10042', ok: true },
    { module: 'root', name: 'jira_account_id_field', value: 'Account IDs', ok: false },
    { module: 'root', name: 'ticket_account_id_pattern', value: null, ok: true },
    { module: 'root', name: 'ticket_account_id_pattern', value: '\\b[0-9a-f]{32}\\b', ok: true },
    { module: 'root', name: 'ticket_account_id_pattern', value: '', ok: false },
    { module: 'root', name: 'taxonomy_version', value: null, ok: true },
    { module: 'root', name: 'taxonomy_version', value: 'v6', ok: true },
    { module: 'root', name: 'taxonomy_version', value: '6', ok: false },
    { module: 'root', name: 'jira_api_token_secret_id', value: 'jira-api-token', ok: true },
    { module: 'root', name: 'jira_api_token_secret_id', value: 'jira api token', ok: false },
    // classify-tickets must never mount a Stripe key, the webhook signing secret or a replica URL.
    { module: 'root', name: 'jira_api_token_secret_id', value: 'stripe-webhook-signing-secret', ok: false },
    { module: 'root', name: 'jira_api_token_secret_id', value: 'stripe-gather-restricted-key', ok: false },
    { module: 'root', name: 'jira_api_token_secret_id', value: 'cf-prod-replica-database-url', ok: false },
    { module: 'root', name: 'tickets_schedule', value: '0 6 * * 1', ok: true },
    { module: 'root', name: 'tickets_schedule', value: '30 7 * * MON', ok: true },
    { module: 'root', name: 'tickets_schedule', value: '0 6 * *', ok: false },
    { module: 'root', name: 'tickets_schedule', value: 'every monday', ok: false },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'classify-tickets': { TAXONOMY_VERSION: 'v6' } },
      ok: true,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'classify-tickets': { JIRA_API_TOKEN: 'ATATT3x' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { 'classify-tickets': { JIRA_API_TOKEN_FILE: '/secrets/jira' } },
      ok: false,
    },
    // The support console: a hostname or nothing (not deployed); people or groups through IAP; its own
    // read-only Stripe key, never another secret; the read-only switch and IAP audience Terraform's alone;
    // its ingress always behind the load balancer.
    { module: 'root', name: 'console_domain', value: '', ok: true },
    { module: 'root', name: 'console_domain', value: 'driftcontrol.support.example.com', ok: true },
    { module: 'root', name: 'console_domain', value: 'https://driftcontrol.support.example.com', ok: false },
    { module: 'root', name: 'console_domain', value: 'driftcontrol.example.com/console', ok: false },
    { module: 'root', name: 'console_domain', value: '*.support.example.com', ok: false },
    { module: 'root', name: 'console_domain', value: 'Console.Example.com', ok: false },
    { module: 'root', name: 'console_domain', value: 'localhost', ok: false },
    { module: 'root', name: 'console_members', value: ['group:billing-support@example.com'], ok: true },
    { module: 'root', name: 'console_members', value: ['user:support-lead@example.com'], ok: true },
    { module: 'root', name: 'console_members', value: [], ok: true },
    { module: 'root', name: 'console_members', value: ['allUsers'], ok: false },
    { module: 'root', name: 'console_members', value: ['allAuthenticatedUsers'], ok: false },
    { module: 'root', name: 'console_members', value: ['domain:example.com'], ok: false },
    {
      module: 'root',
      name: 'console_members',
      value: ['serviceAccount:dc-console@acme.iam.gserviceaccount.com'],
      ok: false,
    },
    { module: 'root', name: 'console_members', value: ['billing-support@example.com'], ok: false },
    { module: 'root', name: 'stripe_console_secret_id', value: 'stripe-console-restricted-key', ok: true },
    { module: 'root', name: 'stripe_console_secret_id', value: 'stripe console key', ok: false },
    // Never plan-apply's write key, gather's key, the webhook secret, a replica URL or the Jira token.
    {
      module: 'root',
      name: 'stripe_console_secret_id',
      value: 'stripe-plan-apply-restricted-key',
      ok: false,
    },
    { module: 'root', name: 'stripe_console_secret_id', value: 'stripe-gather-restricted-key', ok: false },
    { module: 'root', name: 'stripe_console_secret_id', value: 'stripe-webhook-signing-secret', ok: false },
    { module: 'root', name: 'stripe_console_secret_id', value: 'ope-replica-database-url', ok: false },
    { module: 'root', name: 'stripe_console_secret_id', value: 'jira-api-token', ok: false },
    { module: 'root', name: 'console_stripe_dashboard_url', value: null, ok: true },
    { module: 'root', name: 'console_stripe_dashboard_url', value: 'https://dashboard.stripe.com', ok: true },
    { module: 'root', name: 'console_stripe_dashboard_url', value: 'http://dashboard.stripe.com', ok: false },
    {
      module: 'root',
      name: 'ingress_settings_overrides',
      value: { console: 'ALLOW_INTERNAL_AND_GCLB' },
      ok: true,
    },
    { module: 'root', name: 'ingress_settings_overrides', value: { console: 'ALLOW_ALL' }, ok: false },
    {
      module: 'root',
      name: 'ingress_settings_overrides',
      value: { console: 'ALLOW_INTERNAL_ONLY' },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { console: { STRIPE_READS_PER_SECOND: '3' } },
      ok: true,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { console: { STRIPE_READ_ONLY: 'false' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { console: { IAP_AUDIENCE: '/projects/1/global/backendServices/2' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { gather: { STRIPE_READ_ONLY: 'true' } },
      ok: false,
    },
    {
      module: 'root',
      name: 'extra_environment_variables',
      value: { console: { STRIPE_API_KEY: 'rk_x' } },
      ok: false,
    },
    // The trigger topic's project is for a Pub/Sub-fed function only.
    { module: 'function', name: 'trigger_topic_project_id', value: 'acme-ope-prod', ok: true, with: PUBSUB },
    { module: 'function', name: 'trigger_topic_project_id', value: 'acme-ope-prod', ok: false, with: HTTP },
    { module: 'function', name: 'trigger_topic_project_id', value: null, ok: true, with: HTTP },
  ];

  it.each(cases)('$module var.$name = $value is accepted: $ok', async (c) => {
    const mod = await loadModule(c.module);
    const extra = c.with ?? {};
    const vars = { [c.name]: c.value, ...extra };
    // Root validations may read locals (function names from topology.json): evaluate them in the root
    // module. Module validations read only the module's variables.
    const attempt = async () => {
      if (c.module === 'root')
        return (await evaluateRoot(root, { outputs: { probe: `\${var.${c.name}}` }, vars })).probe;
      const defs = Object.fromEntries(
        Object.keys(vars).map((n) => {
          const def = mod.variables[n];
          if (def === undefined) throw new Error(`${c.module} has no variable ${n}`);
          return [n, def];
        }),
      );
      return evalTerraform({ probe: `\${var.${c.name}}` }, vars, ['probe'], defs).probe;
    };
    if (c.ok) {
      const probe = await attempt();
      // Optional object attributes come back as null; everything given must come back as given.
      // A null output is not kept by Terraform: it comes back missing.
      if (c.value === null) expect(probe ?? null).toBeNull();
      else if (typeof c.value === 'object' && !Array.isArray(c.value))
        expect(probe).toMatchObject(c.value as object);
      else expect(probe).toEqual(c.value);
    } else await expect(attempt()).rejects.toThrow(/Invalid value for variable/);
  });
});
