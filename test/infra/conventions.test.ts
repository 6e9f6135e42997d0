// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Conventions the platform team relies on: pinned providers, typed and described variables with units
 * in their names, the scheduler per drift system and the sweeper's every minute, the alerts, and the
 * hashed source archive.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../shared/contracts/topology.js';
import { DriftSystem } from '../../shared/domain/audit.js';
import { evaluateRoot, SAMPLE_VARS, WITHOUT_CONSOLE, WITHOUT_JIRA, WITHOUT_OPE_TOPIC } from './evaluate.js';
import {
  asBody,
  asStringList,
  type Body,
  block,
  blocks,
  loadAll,
  loadModule,
  REPO_ROOT,
  resource,
  str,
  TF_DIRS,
  type TfDirKey,
  type TfModule,
} from './hcl.js';

let all: TfModule[];
let root: TfModule;

beforeAll(async () => {
  all = await loadAll();
  root = await loadModule('root');
});

const moduleKeys = Object.keys(TF_DIRS) as TfDirKey[];

function requiredProviders(m: TfModule): Body {
  const rp = m.terraform.flatMap((t) => blocks(t, 'required_providers'));
  return Object.assign({}, ...rp);
}

describe('providers are pinned', () => {
  it.each(moduleKeys)('%s pins hashicorp/google to ~> 6.x and Terraform >= 1.9', async (key) => {
    const m = await loadModule(key);
    const google = asBody(requiredProviders(m).google);
    expect(google.source).toBe('hashicorp/google');
    expect(String(google.version)).toMatch(/^~> 6\.\d+$/);
    expect(m.terraform.map((t) => t.required_version)).toContain('>= 1.9');
  });

  it.each(['root', 'example'] as const)('%s pins google-beta ~> 6.x, archive and random', async (key) => {
    const rp = requiredProviders(await loadModule(key));
    expect(String(asBody(rp['google-beta']).version)).toMatch(/^~> 6\.\d+$/);
    expect(String(asBody(rp.archive).version)).toMatch(/^~> 2\.\d+$/);
    expect(String(asBody(rp.random).version)).toMatch(/^~> 3\.\d+$/);
  });

  it('the reusable modules configure no provider (the caller does)', () => {
    expect(root.text).not.toMatch(/^provider\s+"/m);
    expect(all.find((m) => m.key === 'function')?.text).not.toMatch(/^provider\s+"/m);
  });
});

describe('module layout (terraform-google-modules)', () => {
  it.each(['root', 'function'] as const)(
    '%s has main.tf, variables.tf, outputs.tf, versions.tf and a README',
    async (key) => {
      const m = await loadModule(key);
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf'])
        expect(m.files, `${key} ${f}`).toContain(f);
      expect(existsSync(join(m.dir, 'README.md')), `${key} README.md`).toBe(true);
    },
  );

  it('the modules folder holds only modules/function', () => {
    expect(readdirSync(join(TF_DIRS.root, 'modules')).sort()).toEqual(['function']);
  });
});

// Words that describe a quantity with a unit; such a variable must say the unit in its name.
const NEEDS_UNIT = /(timeout|memory|retention|deadline|backoff|delay|window|duration|expiration|rate|time)/;
const UNIT_SUFFIX = /(_s|_min|_mb|_days|_per_s|_utc|_messages|_deliveries)$/;

describe('variables', () => {
  const cases = () =>
    all.flatMap((m) =>
      Object.entries(m.variables).map(([name, body]) => ({ where: `${m.key}.${name}`, name, body })),
    );

  it('there are variables to check in every module', () => {
    for (const m of all) expect(Object.keys(m.variables).length, m.key).toBeGreaterThan(5);
  });

  it('every variable is typed and described', () => {
    for (const { where, body } of cases()) {
      expect(str(body, 'type'), `${where} type`).toMatch(/^\$\{[\s\S]+\}$/);
      expect(str(body, 'description')?.length ?? 0, `${where} description`).toBeGreaterThan(10);
    }
  });

  it('a variable holding a quantity names its unit', () => {
    for (const { where, name } of cases()) {
      if (NEEDS_UNIT.test(name)) expect(name, where).toMatch(UNIT_SUFFIX);
    }
  });

  it('the example environment passes only variables the root module declares', async () => {
    const example = await loadModule('example');
    const call = asBody(example.modules.driftcontrol);
    expect(call.source).toBe('../..');
    for (const k of Object.keys(call).filter((k) => !['source', 'providers', 'depends_on'].includes(k))) {
      expect(Object.keys(root.variables), k).toContain(k);
    }
  });

  it('a threshold variable names its unit too (a ratio has none)', () => {
    for (const { where, name } of cases())
      if (/threshold/.test(name) && !/_ratio_threshold$/.test(name)) expect(name, where).toMatch(UNIT_SUFFIX);
  });

  it('the example environment outputs every secret an operator must add a value to', async () => {
    const example = await loadModule('example');
    const secrets = Object.keys(root.outputs).filter((o) => /_secrets?$/.test(o));
    expect(secrets.sort()).toEqual([
      'jira_api_token_secret',
      'replica_database_url_secrets',
      'stripe_secrets',
      'stripe_webhook_secret',
    ]);
    for (const o of secrets) expect(example.outputs[o]?.value, o).toBe(`\${module.driftcontrol.${o}}`);
  });
});

describe('the support console’s outputs', () => {
  it('the root and the example environment output the console’s URL and the address its DNS must point at', async () => {
    const example = await loadModule('example');
    for (const o of ['console_url', 'console_ip_address']) {
      expect(root.outputs[o]?.description, o).toBeDefined();
      expect(example.outputs[o]?.value, o).toBe(`\${module.driftcontrol.${o}}`);
    }
    const call = asBody(example.modules.driftcontrol);
    for (const v of ['console_domain', 'console_members']) expect(call[v], v).toBe(`\${var.${v}}`);
  });
});

describe('scheduler', () => {
  it('one job per drift system, with the system in body and query', () => {
    expect(asStringList(root.locals.drift_systems).sort()).toEqual([...DriftSystem.options].sort());
    const job = resource(root, 'google_cloud_scheduler_job', 'detect_drift');
    expect(job.body.for_each).toBe('${toset(local.drift_systems)}');
    const target = block(job.body, 'http_target');
    expect(str(target, 'uri')).toBe('${local.detect_drift_uri}?system=${each.key}');
    expect(str(target, 'body')).toContain('system = each.key');
    expect(root.locals.detect_drift_uri).toBe('${module.function["detect-drift"].function_uri}');
  });

  it('runs after the mirror lands, in UTC, with a retry config', () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'detect_drift');
    expect(job.body.schedule).toBe('${local.detect_cron}');
    expect(job.body.time_zone).toBe('Etc/UTC');
    expect(String(root.locals.detect_minute_of_day)).toContain('var.detect_delay_after_landing_min');
    expect(String(root.locals.landing_parts)).toContain('var.mirror_landing_time_utc');
    const retry = block(job.body, 'retry_config');
    expect(retry?.retry_count).toBe('${var.scheduler_retry_count}');
    expect(retry?.min_backoff_duration).toBe('${var.scheduler_min_backoff_s}s');
  });

  it('the attempt deadline covers detect-drift timeout and stays within Scheduler limits', () => {
    const t = Number(asBody(asBody(root.locals.function_defaults)['detect-drift']).timeout_s);
    expect(t + 30).toBeLessThanOrEqual(1800);
  });

  it('classify-tickets runs weekly in UTC (Monday 06:00 by default: the week that just ended), with retries and an attempt deadline covering its timeout', () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'classify_tickets');
    expect(job.body.schedule).toBe('${var.tickets_schedule}');
    expect(root.variables.tickets_schedule?.default).toBe('0 6 * * 1');
    expect(job.body.time_zone).toBe('Etc/UTC');
    const retry = block(job.body, 'retry_config');
    expect(retry?.retry_count).toBe('${var.scheduler_retry_count}');
    expect(retry?.min_backoff_duration).toBe('${var.scheduler_min_backoff_s}s');
    const t = Number(asBody(asBody(root.locals.function_defaults)['classify-tickets']).timeout_s);
    expect(t + 30).toBeLessThanOrEqual(1800);
    expect(String(job.body.attempt_deadline)).toContain('local.function_settings[each.key].timeout_s + 30');
    expect(JSON.stringify(root.outputs.tickets_scheduler_job?.value)).toContain(
      'google_cloud_scheduler_job.classify_tickets',
    );
  });

  it('event-sweeper runs every minute in UTC, with a short attempt deadline and no retries', async () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'event_sweeper');
    expect(job.body.schedule).toBe('* * * * *');
    expect(job.body.time_zone).toBe('Etc/UTC');
    expect(job.body.paused).toBe('${var.scheduler_paused}');
    expect(block(job.body, 'retry_config')).toEqual({ retry_count: 0 });
    expect(block(job.body, 'http_target')?.http_method).toBe('POST');
    expect(root.locals.event_sweeper_uri).toBe('${module.function["event-sweeper"].function_uri}');
    const deadline = async (vars: Record<string, unknown>) =>
      (await evaluateRoot(root, { outputs: { d: job.body.attempt_deadline }, vars })).d;
    // The function's own timeout (60 s), within Cloud Scheduler's 15-1800 s.
    const timeout = Number(asBody(asBody(root.locals.function_defaults)['event-sweeper']).timeout_s);
    expect(timeout).toBeLessThanOrEqual(60);
    expect(await deadline({})).toBe(`${timeout}s`);
    expect(await deadline({ function_settings_overrides: { 'event-sweeper': { timeout_s: 5 } } })).toBe(
      '15s',
    );
    expect(JSON.stringify(root.outputs.event_sweeper_scheduler_job?.value)).toContain(
      'google_cloud_scheduler_job.event_sweeper',
    );
  });
});

describe('monitoring', () => {
  it('halted runs are counted from the structured log field jsonPayload.outcome = "halted"', () => {
    const metric = resource(root, 'google_logging_metric', 'halted_runs');
    expect(String(metric.body.filter)).toContain('jsonPayload.outcome = "halted"');
    expect(asBody(metric.body.label_extractors).system).toBe('EXTRACT(jsonPayload.system)');
    const policy = resource(root, 'google_monitoring_alert_policy', 'halted_runs');
    expect(JSON.stringify(policy.body)).toContain(
      'logging.googleapis.com/user/${google_logging_metric.halted_runs.name}',
    );
  });

  it('the dead-letter alert has one condition per dead-letter subscription', () => {
    const policy = resource(root, 'google_monitoring_alert_policy', 'dead_letter_backlog');
    const dyn = asBody(policy.body.dynamic).conditions;
    const conditions = asBody(Array.isArray(dyn) ? dyn[0] : dyn);
    expect(conditions.for_each).toBe('${local.dead_letter_subscriptions}');
    expect(JSON.stringify(conditions)).toContain('num_undelivered_messages');
  });

  it('the error-rate alert covers every deployed function of topology.json (ope-events with its topic only, classify-tickets with Jira only, the console with its hostname only)', async () => {
    expect(root.locals.function_names).toBe('${keys(local.functions)}');
    expect(root.locals.deployed_function_names).toBe('${keys(local.deployed_functions)}');
    const names = async (vars: Readonly<Record<string, unknown>>) =>
      asStringList(
        (
          await evaluateRoot(root, {
            outputs: { all: '${local.function_names}', deployed: '${local.deployed_function_names}' },
            vars,
          })
        ).deployed,
      ).sort();
    const all = FUNCTIONS.map((f) => f.name).sort();
    expect(await names(SAMPLE_VARS)).toEqual(all);
    expect(await names(WITHOUT_OPE_TOPIC)).toEqual(all.filter((f) => f !== 'ope-events'));
    expect(await names(WITHOUT_JIRA)).toEqual(all.filter((f) => f !== 'classify-tickets'));
    expect(await names(WITHOUT_CONSOLE)).toEqual(all.filter((f) => f !== 'console'));
    const policy = resource(root, 'google_monitoring_alert_policy', 'function_error_rate');
    expect(JSON.stringify(policy.body)).toContain('${toset(local.deployed_function_names)}');
    expect(JSON.stringify(policy.body)).toContain('response_code_class = \\"5xx\\"');
  });

  it('refused Stripe webhooks are counted by code from jsonPayload.event = "stripe_webhook_refused", and alerted on above a threshold', () => {
    const metric = resource(root, 'google_logging_metric', 'stripe_webhooks_refused');
    expect(String(metric.body.filter)).toContain('resource.labels.service_name = "stripe-events"');
    expect(String(metric.body.filter)).toContain('jsonPayload.event = "stripe_webhook_refused"');
    expect(asBody(metric.body.label_extractors).code).toBe('EXTRACT(jsonPayload.code)');
    const policy = resource(root, 'google_monitoring_alert_policy', 'stripe_webhooks_refused');
    const body = JSON.stringify(policy.body);
    expect(body).toContain(
      'logging.googleapis.com/user/${google_logging_metric.stripe_webhooks_refused.name}',
    );
    expect(body).toContain('${var.stripe_webhook_refused_alert_threshold_deliveries}');
    expect(body).toContain('${var.stripe_webhook_refused_alert_window_s}s');
    for (const v of [
      'stripe_webhook_refused_alert_threshold_deliveries',
      'stripe_webhook_refused_alert_window_s',
    ])
      expect(root.variables[v]?.default, v).toBeDefined();
    // The line the metric counts is the line the code logs, and its codes are the codes the code has.
    const handler = readFileSync(join(REPO_ROOT, 'shared', 'pipeline', 'stripe-events.ts'), 'utf8');
    expect(handler).toMatch(/event: 'stripe_webhook_refused', code: error\.code/);
    const errors = readFileSync(join(REPO_ROOT, 'shared', 'ports', 'errors.ts'), 'utf8');
    const refusal = /type WebhookRefusal = ([^;]+);/.exec(errors)?.[1] ?? '';
    const codes = [...refusal.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] as string);
    expect(codes.sort()).toEqual(['bad_signature', 'missing_signature', 'timestamp_outside_tolerance']);
    const described = JSON.stringify(metric.body.metric_descriptor);
    for (const c of codes) expect(described, c).toContain(c);
  });

  it('every alert notifies the configured channels', () => {
    const policies = root.resources.filter((r) => r.type === 'google_monitoring_alert_policy');
    expect(policies.length).toBe(4);
    for (const p of policies)
      expect(p.body.notification_channels, p.name).toBe('${var.notification_channel_ids}');
  });
});

describe('source archive', () => {
  it('is named by a hash of the packaged folder content', () => {
    expect(String(root.locals.functions_source_sha256)).toMatch(
      /sha256\(join\("\\n", \[\s*for f in local\.functions_source_files : "\$\{f\} \$\{filesha256\("\$\{local\.functions_source_dir\}\/\$\{f\}"\)\}"/,
    );
    expect(root.locals.functions_source_files).toBe('${sort(fileset(local.functions_source_dir, "**"))}');
    expect(root.locals.functions_source_object).toBe('functions-source-${local.functions_source_sha256}.zip');
    const obj = resource(root, 'google_storage_bucket_object', 'functions_source');
    expect(obj.body.name).toBe('${local.functions_source_object}');
    expect(obj.body.source).toBe('${data.archive_file.functions_source.output_path}');
  });

  it('defaults to the folder scripts/package-functions.mjs writes', () => {
    expect(String(root.locals.functions_source_dir)).toContain('${local.repo_root}/dist/functions-source');
  });

  it('the source bucket is private', () => {
    const b = resource(root, 'google_storage_bucket', 'functions_source');
    expect(b.body.uniform_bucket_level_access).toBe(true);
    expect(b.body.public_access_prevention).toBe('enforced');
  });
});
