// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * BigQuery wiring: datasets from topology.ts, every warehouse SQL file deployed through fileset() (so the
 * set grows with the folder), the files follow the convention the Terraform relies on, the audit table is
 * the generated schema, partitioned and clustered for "why didn't remediation fire", and the ticket
 * classifications table is its generated schema, partitioned by week, created before the views that
 * read it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AUDIT_TABLE, DATASETS, TICKET_CLASSIFICATIONS_TABLE } from '../../shared/contracts/topology.js';
import { AuditRecord } from '../../shared/domain/audit.js';
import { TicketClassificationRow } from '../../shared/domain/ticket-classification.js';
import { evaluateRoot } from './evaluate.js';
import {
  asBody,
  asStringMap,
  block,
  loadModule,
  REPO_ROOT,
  resource,
  TF_ROOT,
  type TfModule,
} from './hcl.js';

let root: TfModule;
/** Dataset and audit table names as Terraform reads them from topology.json. */
let names: {
  datasets: unknown;
  audit_table: unknown;
  dataset_ids: unknown;
  descriptions: unknown;
  ticket_table: unknown;
};

beforeAll(async () => {
  root = await loadModule('root');
  names = (await evaluateRoot(root, {
    outputs: {
      datasets: '${local.datasets}',
      audit_table: '${local.audit_table}',
      // Each dataset's id as its resource computes it from its for_each (evaluate.ts).
      dataset_ids: '${{ for k, d in google_bigquery_dataset.this : k => d.dataset_id }}',
      descriptions: '${local.dataset_descriptions}',
      ticket_table: '${local.ticket_classifications_table}',
    },
  })) as typeof names;
}, 60_000);

/** Evaluates the few string templates used for paths: ${local.X} and abspath("${path.module}/..."). */
function evalPath(expr: string): string {
  let s = expr;
  for (let i = 0; i < 5 && s.includes('${local.'); i += 1) {
    s = s.replace(/\$\{local\.([a-z0-9_]+)\}/g, (_w, name: string) => {
      const v = root.locals[name];
      if (typeof v !== 'string') throw new Error(`local.${name} is not a string template`);
      return v;
    });
  }
  s = s.replace(/\$\{abspath\("\$\{path\.module\}\/([^"]*)"\)\}/g, (_w, rel: string) => join(TF_ROOT, rel));
  if (s.includes('${')) throw new Error(`cannot evaluate ${expr}`);
  return join(s);
}

function filesetOf(localName: string): { dir: string; pattern: string } {
  const expr = String(root.locals[localName]);
  const m = /^\$\{sort\(fileset\("([^"]+)", "([^"]+)"\)\)\}$/.exec(expr);
  if (m === null) throw new Error(`local.${localName} is not sort(fileset(DIR, PATTERN)): ${expr}`);
  return { dir: evalPath(m[1] ?? ''), pattern: m[2] ?? '' };
}

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const VIEWS_DIR = join(REPO_ROOT, 'shared', 'warehouse', 'sql', 'views');
const DDL_DIR = join(REPO_ROOT, 'shared', 'warehouse', 'sql', 'ddl');

/** Strips SQL comments so keyword checks see statements only. */
function stripComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}

describe('datasets', () => {
  it('local.datasets is DATASETS of topology.json and each is a google_bigquery_dataset', () => {
    expect(root.locals.datasets).toBe('${local.topology.datasets}');
    expect(asStringMap(names.datasets)).toEqual({ ...DATASETS });
    expect(asStringMap(names.dataset_ids)).toEqual({ ...DATASETS });
    const ds = resource(root, 'google_bigquery_dataset', 'this');
    expect(ds.body.for_each).toBe('${local.datasets}');
    expect(ds.body.dataset_id).toBe('${each.value}');
    expect(ds.body.delete_contents_on_destroy).toBe(false);
  });

  it('every dataset of topology.json has a description (the tickets dataset included)', () => {
    expect(resource(root, 'google_bigquery_dataset', 'this').body.description).toBe(
      '${local.dataset_descriptions[each.key]}',
    );
    expect(Object.keys(asBody(names.descriptions)).sort()).toEqual(Object.keys(DATASETS).sort());
    for (const [k, d] of Object.entries(asBody(names.descriptions)))
      expect(String(d).length, k).toBeGreaterThan(20);
  });
});

describe('warehouse SQL files are deployed through fileset()', () => {
  it('the views fileset points at shared/warehouse/sql/views/*.sql', () => {
    expect(filesetOf('view_files')).toEqual({ dir: VIEWS_DIR, pattern: '*.sql' });
  });

  it('the DDL fileset points at shared/warehouse/sql/ddl/*.sql', () => {
    expect(filesetOf('ddl_files')).toEqual({ dir: DDL_DIR, pattern: '*.sql' });
  });

  it('no SQL file hides in a subfolder the *.sql pattern would skip', () => {
    for (const dir of [VIEWS_DIR, DDL_DIR]) {
      const nested = listTree(dir).filter((f) => f.endsWith('.sql') && f.includes('/'));
      expect(nested, `nested SQL under ${dir}`).toEqual([]);
    }
  });

  it('the views script wraps every file in CREATE OR REPLACE VIEW in the observability dataset', () => {
    const script = String(root.locals.views_script);
    expect(script).toContain('for v in local.views');
    expect(script).toContain(
      'CREATE OR REPLACE VIEW `${var.project_id}.${local.datasets.observability}.${v.name}` AS',
    );
    const job = resource(root, 'google_bigquery_job', 'views');
    expect(block(job.body, 'query')?.query).toBe('${local.views_script}');
    expect(block(job.body, 'query')?.create_disposition).toBe('');
    expect(String(job.body.depends_on)).toContain('google_bigquery_job.mirror_ddl');
  });

  it('the DDL job runs the DDL script before the views', () => {
    const job = resource(root, 'google_bigquery_job', 'mirror_ddl');
    expect(block(job.body, 'query')?.query).toBe('${local.ddl_script}');
    expect(String(root.locals.ddl_script)).toContain('for f in local.ddl_files');
  });

  it('job ids change with the script content (a change redeploys)', () => {
    for (const [name, local] of [
      ['mirror_ddl', 'ddl_script'],
      ['views', 'views_script'],
    ] as const) {
      expect(String(resource(root, 'google_bigquery_job', name).body.job_id)).toContain(
        `sha256(local.${local})`,
      );
    }
  });
});

// Table-driven over whatever files exist now: the set grows as the warehouse engineer adds files.
const viewFiles = listTree(VIEWS_DIR).filter((f) => f.endsWith('.sql'));
const ddlFiles = listTree(DDL_DIR).filter((f) => f.endsWith('.sql'));
const VIEW_NAME = /^(\d{2})_([a-z][a-z0-9_]*)\.sql$/;
const viewNames = viewFiles.map((f) => VIEW_NAME.exec(f)?.[2]).filter((n): n is string => n !== undefined);

describe('view files follow the convention Terraform deploys', () => {
  it('every view file is picked up by the fileset (none yet is fine: the set grows with the folder)', () => {
    const { dir, pattern } = filesetOf('view_files');
    expect(pattern).toBe('*.sql');
    expect(listTree(dir).filter((f) => f.endsWith('.sql'))).toEqual(viewFiles);
  });

  it.each(viewFiles)('%s is named NN_<view_name>.sql', (f) => {
    expect(f).toMatch(VIEW_NAME);
  });

  it.each(viewFiles)('%s is a SELECT body (Terraform adds the CREATE OR REPLACE VIEW)', (f) => {
    const sql = stripComments(readFileSync(join(VIEWS_DIR, f), 'utf8')).trim();
    expect(sql).toMatch(/^(select|with|\()/i);
  });

  it.each(viewFiles)('%s only reads views whose files run before it', (f) => {
    const sql = stripComments(readFileSync(join(VIEWS_DIR, f), 'utf8'));
    const own = viewFiles.indexOf(f);
    const refs = [...sql.matchAll(new RegExp(`\\b${DATASETS.observability}\\.([a-z0-9_]+)`, 'g'))].map(
      (m) => m[1],
    );
    for (const ref of refs) {
      const at = viewNames.indexOf(ref ?? '');
      expect(
        at,
        `${f} reads ${DATASETS.observability}.${ref}, which no view file defines`,
      ).toBeGreaterThanOrEqual(0);
      expect(at, `${f} reads ${ref}, defined by a later file`).toBeLessThan(own);
    }
  });

  it('view names are unique', () => {
    expect(new Set(viewNames).size).toBe(viewNames.length);
  });
});

describe('DDL files are safe to re-run on every apply', () => {
  it('every DDL file is picked up by the fileset', () => {
    const { dir } = filesetOf('ddl_files');
    expect(listTree(dir).filter((f) => f.endsWith('.sql'))).toEqual(ddlFiles);
  });

  it.each(ddlFiles)('%s creates billing_mirror.<file name> only if it does not exist', (f) => {
    const sql = stripComments(readFileSync(join(DDL_DIR, f), 'utf8'));
    const table = f.replace(/\.sql$/, '');
    expect(sql).toMatch(
      new RegExp(`create\\s+table\\s+if\\s+not\\s+exists\\s+${DATASETS.mirror}\\.${table}\\b`, 'i'),
    );
  });

  it.each(ddlFiles)('%s never replaces or drops a mirror table', (f) => {
    const sql = stripComments(readFileSync(join(DDL_DIR, f), 'utf8'));
    expect(sql).not.toMatch(/create\s+or\s+replace\s+table/i);
    expect(sql).not.toMatch(/\bdrop\s+(table|schema)\b/i);
    expect(sql).not.toMatch(/\btruncate\s+table\b/i);
  });
});

describe('audit table', () => {
  const schemaPath = join(REPO_ROOT, 'shared', 'schemas', 'audit-table.bigquery.json');
  type Field = { name: string; type: string; mode?: string };
  const loadSchema = (): Field[] => JSON.parse(readFileSync(schemaPath, 'utf8')) as Field[];

  it('is AUDIT_TABLE of topology.json in the audit dataset', () => {
    expect(root.locals.audit_table).toBe('${local.topology.auditTable}');
    expect(names.audit_table).toBe(AUDIT_TABLE);
    const t = resource(root, 'google_bigquery_table', 'audit');
    expect(t.body.table_id).toBe('${local.audit_table}');
    expect(t.body.dataset_id).toBe('${google_bigquery_dataset.this["audit"].dataset_id}');
  });

  it('its schema is the generated file shared/schemas/audit-table.bigquery.json, verbatim', () => {
    const t = resource(root, 'google_bigquery_table', 'audit');
    expect(t.body.schema).toBe('${file(local.audit_schema_path)}');
    expect(evalPath(String(root.locals.audit_schema_path))).toBe(schemaPath);
    expect(existsSync(schemaPath), `${schemaPath} must be generated (npm run schemas)`).toBe(true);
  });

  it('is partitioned by day on started_at and clustered by account_id, outcome, run_id', () => {
    const t = resource(root, 'google_bigquery_table', 'audit');
    const part = asBody(block(t.body, 'time_partitioning'));
    expect(part.type).toBe('DAY');
    expect(part.field).toBe('started_at');
    expect(t.body.clustering).toEqual(['account_id', 'outcome', 'run_id']);
  });

  it('the schema file has exactly the fields of the audit record in code', () => {
    expect(
      loadSchema()
        .map((f) => f.name)
        .sort(),
    ).toEqual(Object.keys(AuditRecord.shape).sort());
  });

  it('partition and clustering columns exist with types BigQuery accepts for them', () => {
    const byName = new Map(loadSchema().map((f) => [f.name, f]));
    expect(byName.get('started_at')?.type).toBe('TIMESTAMP');
    for (const col of ['account_id', 'outcome', 'run_id']) {
      const f = byName.get(col);
      expect(f, col).toBeDefined();
      expect(f?.mode, `${col} cannot be REPEATED to cluster on it`).not.toBe('REPEATED');
      expect(['STRING', 'INT64', 'INTEGER', 'DATE', 'TIMESTAMP', 'BOOL', 'BOOLEAN']).toContain(f?.type);
    }
  });

  it.each(Object.entries(AuditRecord.shape))(
    'field %s has a mode that accepts what the code writes',
    (name, schema) => {
      const field = loadSchema().find((f) => f.name === name);
      expect(field, name).toBeDefined();
      if (schema instanceof z.ZodArray) expect(field?.mode).toBe('REPEATED');
      else if (schema instanceof z.ZodNullable) expect(field?.mode ?? 'NULLABLE').toBe('NULLABLE');
      else expect(field?.mode).not.toBe('REPEATED');
    },
  );
});

describe('ticket classifications table', () => {
  const schemaPath = join(REPO_ROOT, 'shared', 'schemas', 'ticket-classifications.bigquery.json');
  type Field = { name: string; type: string; mode?: string };
  const loadSchema = (): Field[] => JSON.parse(readFileSync(schemaPath, 'utf8')) as Field[];
  const table = () => resource(root, 'google_bigquery_table', 'tickets');

  it('is TICKET_CLASSIFICATIONS_TABLE of topology.json in the tickets dataset', () => {
    expect(root.locals.ticket_classifications_table).toBe('${local.topology.ticketClassificationsTable}');
    expect(names.ticket_table).toBe(TICKET_CLASSIFICATIONS_TABLE);
    expect(table().body.table_id).toBe('${local.ticket_classifications_table}');
    expect(table().body.dataset_id).toBe('${google_bigquery_dataset.this["tickets"].dataset_id}');
    expect(asStringMap(names.datasets).tickets).toBe(DATASETS.tickets);
    // Created whatever the deployment: the ticket views read it (no count, no for_each).
    expect(table().body.count).toBeUndefined();
    expect(table().body.for_each).toBeUndefined();
  });

  it('its schema is the generated file shared/schemas/ticket-classifications.bigquery.json, verbatim', () => {
    expect(table().body.schema).toBe('${file(local.ticket_classifications_schema_path)}');
    expect(evalPath(String(root.locals.ticket_classifications_schema_path))).toBe(schemaPath);
    expect(existsSync(schemaPath), `${schemaPath} must be generated (npm run schemas)`).toBe(true);
  });

  it('the schema file has exactly the fields of the row in code', () => {
    expect(
      loadSchema()
        .map((f) => f.name)
        .sort(),
    ).toEqual(Object.keys(TicketClassificationRow.shape).sort());
  });

  it('is partitioned by day on week, clustered by taxonomy_version then atom, protected like the audit table', () => {
    const part = asBody(block(table().body, 'time_partitioning'));
    expect(part.type).toBe('DAY');
    expect(part.field).toBe('week');
    expect(table().body.clustering).toEqual(['taxonomy_version', 'atom']);
    expect(table().body.deletion_protection).toBe('${var.bigquery_deletion_protection}');
    expect(resource(root, 'google_bigquery_table', 'audit').body.deletion_protection).toBe(
      '${var.bigquery_deletion_protection}',
    );
    const byName = new Map(loadSchema().map((f) => [f.name, f]));
    expect(byName.get('week')?.type).toBe('DATE');
    expect(byName.get('week')?.mode).toBe('REQUIRED');
    for (const col of ['taxonomy_version', 'atom']) {
      expect(byName.get(col)?.type, col).toBe('STRING');
      expect(byName.get(col)?.mode, `${col} cannot be REPEATED to cluster on it`).not.toBe('REPEATED');
    }
  });

  it('the views job runs after it is created: the ticket views read it', () => {
    const deps = String(resource(root, 'google_bigquery_job', 'views').body.depends_on);
    expect(deps).toContain('google_bigquery_table.tickets');
    expect(deps).toContain('google_bigquery_table.audit');
    const readers = viewFiles.filter((f) =>
      new RegExp(`\\b${DATASETS.tickets}\\.${TICKET_CLASSIFICATIONS_TABLE}\\b`).test(
        stripComments(readFileSync(join(VIEWS_DIR, f), 'utf8')),
      ),
    );
    expect(readers.length).toBeGreaterThan(0);
    // No view reads anything else of the tickets dataset (only this table is created there).
    for (const f of viewFiles) {
      const sql = stripComments(readFileSync(join(VIEWS_DIR, f), 'utf8'));
      for (const m of sql.matchAll(new RegExp(`\\b${DATASETS.tickets}\\.([a-z0-9_]+)`, 'g')))
        expect(m[1], f).toBe(TICKET_CLASSIFICATIONS_TABLE);
    }
  });
});
