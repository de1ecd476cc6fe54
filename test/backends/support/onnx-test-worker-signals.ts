/** What onnx-test-worker.ts listens and speaks on, importable without starting it. */

/** BroadcastChannel name on which each test worker announces its start. */
export const TEST_CHANNEL = 'nereid-onnx-test-worker';

/** A run with an input of this name makes the test worker exit abruptly (exit code 70). */
export const CRASH_INPUT = '__CRASH__';

/** A run whose first FP32 input starts with this value also makes the test worker exit (for models whose input names are fixed). */
export const CRASH_VALUE = -12345.5;
