#!/usr/bin/env node
// Entry point for `npx nereid`: nereid runs its TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
