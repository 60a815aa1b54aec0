// validate.js FILE... — checks each file against the SARIF 2.1.0 JSON schema
// (sarif-2.1.0-rtm.5.json, the schema Microsoft's SARIF SDK ships in
// @microsoft/jest-sarif; a draft-04 schema, so ajv 6 reads it).  Formats
// (uri, date-time) are checked too.  Prints one line per file; exit 0 when
// every file is valid, 1 when one is not (with ajv's errors), 2 on bad usage.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const schemaFile = path.join(__dirname, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas',
    'sarif-2.1.0-rtm.5.json');
const files = process.argv.slice(2);
if (files.length === 0) {
    console.error('usage: node validate.js FILE...');
    process.exit(2);
}
const ajv = new Ajv({ schemaId: 'auto', allErrors: true, format: 'full' });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
let bad = 0;
for (const f of files) {
    let doc;
    try {
        doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    } catch (e) {
        console.log(`${f}: not JSON: ${e.message}`);
        bad++;
        continue;
    }
    if (validate(doc)) {
        console.log(`${f}: valid SARIF 2.1.0 (${doc.runs.reduce((n, r) => n + (r.results || []).length, 0)} results)`);
    } else {
        bad++;
        console.log(`${f}: INVALID`);
        for (const e of validate.errors.slice(0, 20))
            console.log(`  ${e.dataPath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
}
process.exit(bad ? 1 : 0);
