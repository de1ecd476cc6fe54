/**
 * The globals a model.ts has inside its isolate, for type-checking model
 * code (models/tsconfig.json includes this file instead of Node's types, so
 * an editor offers what the sandbox has and nothing else). The prelude
 * (prelude.ts) installs them; PreludeGlobals is their one definition. The
 * ECMAScript built-ins come from `lib` (ES2023: with SharedArrayBuffer,
 * Atomics, WeakRef, FinalizationRegistry); `Intl` too.
 */
type IsolateGlobals = import('./prelude.ts').PreludeGlobals;

declare var console: IsolateGlobals['console'];
declare var performance: IsolateGlobals['performance'];
declare var setTimeout: IsolateGlobals['setTimeout'];
declare var clearTimeout: IsolateGlobals['clearTimeout'];
declare var setInterval: IsolateGlobals['setInterval'];
declare var clearInterval: IsolateGlobals['clearInterval'];
declare var queueMicrotask: IsolateGlobals['queueMicrotask'];
declare var TextEncoder: IsolateGlobals['TextEncoder'];
declare var TextDecoder: IsolateGlobals['TextDecoder'];
type TextEncoder = InstanceType<IsolateGlobals['TextEncoder']>;
type TextDecoder = InstanceType<IsolateGlobals['TextDecoder']>;
