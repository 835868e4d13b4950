// Loaded with `--import` into a relay process: records the URL of every module it loads, through
// `import` or `require` (https://nodejs.org/api/module.html#customization-hooks), and writes
// them, one a line, to LOADED_MODULES_FILE when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, [...loaded].join('\n')));
