import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { plan } from '../../../shared/core/planner.js';
import { generatedSchemaFiles } from '../../../shared/domain/json-schemas.js';
import { randomView } from '../../support/random-view.js';
import { healthyView } from '../../support/views.js';

const schemaDir = join(import.meta.dirname, '..', '..', '..', 'shared', 'schemas');
const committed = (name: string) => readFileSync(join(schemaDir, name), 'utf8');

describe('committed JSON Schemas', () => {
  it.each(Object.entries(generatedSchemaFiles()))(
    '%s is up to date (run `npm run schemas`)',
    (name, content) => {
      expect(committed(name)).toBe(content);
    },
  );

  it('accept real views and plans, and reject a broken view, through a standard validator', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validateView = ajv.compile(JSON.parse(committed('account-view.schema.json')));
    const validatePlan = ajv.compile(JSON.parse(committed('plan.schema.json')));
    for (let seed = 0; seed < 50; seed++) {
      const view = randomView(seed);
      expect(validateView(view), JSON.stringify(validateView.errors)).toBe(true);
      expect(validatePlan(JSON.parse(JSON.stringify(plan(view)))), JSON.stringify(validatePlan.errors)).toBe(
        true,
      );
    }
    const broken = healthyView() as unknown as { ope: { data: { subscriptions: { interval: string }[] } } };
    (broken.ope.data.subscriptions[0] as { interval: string }).interval = 'fortnight';
    expect(validateView(broken)).toBe(false);
    expect(validateView.errors?.[0]?.instancePath).toBe('/ope/data/subscriptions/0/interval');
  });
});
