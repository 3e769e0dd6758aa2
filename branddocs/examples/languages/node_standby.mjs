// A Node.js process started ahead of its one example (pool.py): `openai` imported, then it waits on stdin.
//
//     node --experimental-vm-modules node_standby.mjs
//         stdin: one JSON line {"script": "/path/example.mjs", "env": {"KEY_VAR": "..."}}
//
// It parses the example first, as `node --check` does (vm.SourceTextModule: parsed, never run); one that does
// not parse ends it with status 65 and NOT_VALID on stderr, and the checks ask `node --check` for the message
// (off the common path: a `node` of its own costs more than the example). Then it adds the run key to its
// environment and imports the example, as `node example.mjs` would run it: an error the example throws ends
// the process with Node.js's own message and status 1. One example only: stdin is closed after the first line,
// and the process ends when the example's work does.
import 'openai';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const NOT_VALID = 'branddocs: the example is not valid JavaScript';

const line = await new Promise((resolve, reject) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    text += chunk;
    const end = text.indexOf('\n');
    if (end >= 0) {
      process.stdin.destroy();
      resolve(text.slice(0, end));
    }
  });
  process.stdin.on('end', () => resolve(text));
  process.stdin.on('error', reject);
});
if (!line.trim()) process.exit(0); // the pool closed without an example for it
const order = JSON.parse(line);
const warn = process.emitWarning;
process.emitWarning = () => {}; // vm modules are experimental: the example's stderr is not the place to say so
try {
  new vm.SourceTextModule(readFileSync(order.script, 'utf8'), { identifier: order.script });
} catch (error) {
  if (!(error instanceof SyntaxError)) throw error;
  process.stderr.write(`${NOT_VALID}\n`);
  process.exit(65);
} finally {
  process.emitWarning = warn;
}
for (const [name, value] of Object.entries(order.env)) process.env[name] = value;
process.argv[1] = order.script;
await import(pathToFileURL(order.script).href);
