/**
 * The `smsgw` entry point: `npm run smsgw -- <command>` runs this file with tsx,
 * and the `smsgw` bin (cli/smsgw.js) requires it and calls run(). The commands
 * live in ./commands, which tests import without starting anything.
 */
import { run } from './commands';

export { run };

// Under vitest `require.main` and `module` can both be undefined: compare only real modules.
if (require.main !== undefined && require.main === module) run();
