#!/usr/bin/env node
// The `smsgw` bin: registers tsx's CommonJS loader (its documented API,
// tsx/cjs/api register()) and runs the TypeScript CLI, so there is no build step.
'use strict';
require('tsx/cjs/api').register();
require('./smsgw.ts').run();
