#!/usr/bin/env -S node --no-node-snapshot
// Entry point for `npx nereid`: nereid runs its TypeScript sources through tsx.
// --no-node-snapshot (in the shebang) is required by isolated-vm on Node 20+.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
