// `npm run schema`: rewrites the committed JSON Schema of scenario files from the zod schemas
// (test/unit/schema/json-schema.test.ts fails while the two differ).
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILE, scenarioJsonSchemaText } from '../../scenarios/schema/json-schema.ts';

writeFileSync(new URL(`../../${SCHEMA_FILE}`, import.meta.url), scenarioJsonSchemaText());
console.log(`wrote ${SCHEMA_FILE}`);
