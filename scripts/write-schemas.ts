// Regenerates shared/schemas/ from the zod schemas (see shared/domain/json-schemas.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedSchemaFiles } from '../shared/domain/json-schemas.js';

const dir = join(import.meta.dirname, '..', 'shared', 'schemas');
for (const [name, content] of Object.entries(generatedSchemaFiles())) {
  writeFileSync(join(dir, name), content);
  console.log(`wrote shared/schemas/${name}`);
}
