import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImpurities, importsOf } from '../../../scripts/check-core-purity.js';

describe('decision core purity', () => {
  it('shared/core and shared/domain import no SDK and do no I/O', () => {
    expect(findImpurities(resolve(import.meta.dirname, '..', '..', '..'))).toEqual([]);
  });

  it.each([
    ["import Stripe from 'stripe';", ['stripe']],
    ["import { readFileSync } from 'node:fs';", ['node:fs']],
    ["export * from '@google-cloud/firestore';", ['@google-cloud/firestore']],
    ["const m = await import('node:http');", ['node:http']],
    ["const name = 'x'; await import(name);", ['<computed>']],
    ["const x = require('https');", ['https']],
    ["import type { z } from 'zod';\nimport { a } from './a.js';", ['zod', './a.js']],
  ])('finds the imports of %j', (source, expected) => {
    expect(importsOf(source)).toEqual(expected);
  });
});
