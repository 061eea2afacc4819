#!/usr/bin/env node
// The thecal command runs its TypeScript sources directly through tsx, so there is no build step
// between editing the pump core and running it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
