/**
 * The `smsgw` entry point: `npm run smsgw -- <command>` runs this file with tsx,
 * and the `smsgw` bin (cli/smsgw.js) requires it and calls run(). The command
 * line is run by ./main (one module per command under ./commands), which tests
 * import without starting anything.
 */
import { run } from './main';

export { run };

// Under vitest `require.main` and `module` can both be undefined: compare only real modules.
if (require.main !== undefined && require.main === module) run();
