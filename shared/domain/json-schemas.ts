import { z } from 'zod';
import { AccountView } from './account-view.js';
import { AuditRecord } from './audit.js';
import { Plan } from './plan.js';
import { TicketClassificationRow } from './ticket-classification.js';

/**
 * JSON Schemas generated from the same zod schemas as the types, committed under shared/schemas/ so other
 * tools (and reviewers) can drive the planner without reading TypeScript. A test fails when they go stale:
 * regenerate with `npm run schemas`.
 */

export type BigQueryField = {
  name: string;
  type: string;
  mode: 'REQUIRED' | 'NULLABLE' | 'REPEATED';
  description?: string;
};

function jsonSchema(schema: z.ZodType, id: string): Record<string, unknown> {
  return { $id: id, ...z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) };
}

type JsonSchemaNode = {
  type?: string | string[];
  format?: string;
  anyOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  description?: string;
};

/** Maps the audit record's JSON Schema to a BigQuery table schema: the deployed table follows the code. */
export function auditTableSchema(): BigQueryField[] {
  return bigQueryTableSchema(AuditRecord);
}

/** The ticket classifications table (docs/tickets.md), from its row schema. */
export function ticketClassificationsTableSchema(): BigQueryField[] {
  return bigQueryTableSchema(TicketClassificationRow);
}

function bigQueryTableSchema(schema: z.ZodType): BigQueryField[] {
  const root = z.toJSONSchema(schema, { io: 'input' }) as JsonSchemaNode;
  const required = new Set(root.required ?? []);
  return Object.entries(root.properties ?? {}).map(([name, node]) => {
    // A nullable may come as anyOf [T, null] or as type [T, "null"] (when described).
    const variants =
      node.anyOf ?? (Array.isArray(node.type) ? node.type.map((type) => ({ ...node, type })) : [node]);
    const nonNull = variants.filter((v) => v.type !== 'null');
    const nullable = variants.length !== nonNull.length || !required.has(name);
    const base = nonNull[0] ?? {};
    if (base.type === 'array') {
      return { name, type: scalarType(base.items ?? {}, name), mode: 'REPEATED' as const };
    }
    return {
      name,
      type: scalarType(base, name),
      mode: nullable ? ('NULLABLE' as const) : ('REQUIRED' as const),
    };
  });
}

function scalarType(node: JsonSchemaNode, field: string): string {
  if (node.type === 'string' && node.format === 'date-time') return 'TIMESTAMP';
  if (node.type === 'string' && node.format === 'date') return 'DATE';
  if (node.type === 'string') return 'STRING';
  if (node.type === 'integer') return 'INT64';
  if (node.type === 'number') return 'FLOAT64';
  if (node.type === 'boolean') return 'BOOL';
  throw new Error(`field ${field}: no BigQuery type for ${JSON.stringify(node)}`);
}

/** Every committed schema file and its content. */
export function generatedSchemaFiles(): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'account-view.schema.json': json(
      jsonSchema(AccountView, 'https://driftcontrol.local/schemas/account-view.schema.json'),
    ),
    'plan.schema.json': json(jsonSchema(Plan, 'https://driftcontrol.local/schemas/plan.schema.json')),
    'audit-record.schema.json': json(
      jsonSchema(AuditRecord, 'https://driftcontrol.local/schemas/audit-record.schema.json'),
    ),
    'audit-table.bigquery.json': json(auditTableSchema()),
    'ticket-classifications.bigquery.json': json(ticketClassificationsTableSchema()),
  };
}
