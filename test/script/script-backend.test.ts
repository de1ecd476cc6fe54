import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { addSubModel, identityModel, writeFixture } from '../support/onnx-fixtures.ts';
import { addSubInputs } from '../server/support.ts';
import { useTempServer } from '../support/temp-server.ts';
import { fp32Config, fp32Inputs, writeScriptModel } from './support.ts';
import { errorOf } from '../support/rejection.ts';

const fixture = useTempServer();
const start = (): Promise<Server> => fixture.start();


const reasonOf = async (s: Server, name: string) => (await s.repositoryIndex()).find((entry) => entry.name === name)?.reason ?? '';

describe('TypeScript models', () => {
  it('serves the bundled add_sub_bls model: BLS to the ONNX model gives its answers', async () => {
    await writeFixture(fixture.repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }));
    await mkdir(join(fixture.repo, 'add_sub_bls', '1'), { recursive: true });
    await copyFile('models/add_sub_bls/config.pbtxt', join(fixture.repo, 'add_sub_bls', 'config.pbtxt'));
    await copyFile('models/add_sub_bls/1/model.ts', join(fixture.repo, 'add_sub_bls', '1', 'model.ts'));
    const s = await start();
    const direct = await s.infer({ model: 'simple', inputs: addSubInputs(3) });
    const viaScript = await s.infer({ model: 'add_sub_bls', id: 'x', inputs: addSubInputs(3) });
    expect(viaScript).toMatchObject({ model: 'add_sub_bls', version: '1', id: 'x' });
    expect(viaScript.outputs.map((t) => [t.name, t.shape, Array.from(t.data as Int32Array)])).toEqual(
      direct.outputs.map((t) => [t.name, t.shape, Array.from(t.data as Int32Array)]),
    );
    const only = await s.infer({ model: 'add_sub_bls', inputs: addSubInputs(), outputs: [{ name: 'OUTPUT1' }] });
    expect(only.outputs.map((t) => t.name)).toEqual(['OUTPUT1']);
  });

  it('computes in the script, reads parameters and logs with the model name', async () => {
    await writeScriptModel(fixture.repo, 'double', {
      source: `
        import { InferenceResponse, Tensor, log, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          return requests.map((request) => {
            const input = request.requireInput('INPUT0');
            const factor = Number(request.parameters.factor ?? 2);
            log.info('doubling ' + input.shape.join('x'));
            const out = (input.data as Float32Array).map((v) => v * factor);
            return new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', input.shape, out)], parameters: { factor, note: 'doubled', exact: true } });
          });
        }`,
    });
    const s = await start();
    const response = await s.infer({ model: 'double', inputs: fp32Inputs([1, 2, 3]), parameters: { factor: 3 } });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([3, 6, 9]);
    expect(response.parameters).toEqual({ factor: 3, note: 'doubled', exact: true });
    expect(fixture.log.lines.some((line) => line.includes('[double:1]') && line.includes('doubling 1x3'))).toBe(true);
  });

  it('moves tensors larger than the shared frame buffer both ways: built in the script, sent through BLS, returned', async () => {
    await writeFixture(fixture.repo, 'identity', identityModel('FP32', { batch: true, dims: [-1] }));
    await writeScriptModel(fixture.repo, 'grow', {
      source: `
        import { InferenceRequest, InferenceResponse, Tensor, type InferenceRequest as Request } from 'nereid/model';
        export async function execute(requests: Request[]) {
          return Promise.all(requests.map(async (request) => {
            const input = request.requireInput('INPUT0').data as Float32Array;
            // 3 MiB built inside the isolate: more than the 256 KiB frame buffer.
            const big = new Float32Array(3 * 262144).map((_, i) => input[i % input.length]! + i);
            const echoed = await new InferenceRequest({ model: 'identity', inputs: [new Tensor('INPUT0', 'FP32', [1, big.length], big)] }).exec();
            const back = echoed.requireOutput('OUTPUT0').data as Float32Array;
            const out = new Float32Array(back.length + 1);
            out.set(back);
            out[back.length] = -1;
            return new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, out.length], out)] });
          }));
        }`,
    });
    const s = await start();
    const response = await s.infer({ model: 'grow', inputs: fp32Inputs([10, 20]) });
    const out = response.outputs[0]!.data as Float32Array;
    expect(out.length).toBe(3 * 262144 + 1);
    expect([out[0], out[1], out[2], out[786431], out[786432]]).toEqual([10, 21, 12, 20 + 786431, -1]);
  });

  it('returns a BLS error as the response error, naming the missing model', async () => {
    await writeScriptModel(fixture.repo, 'caller', {
      source: `
        import { InferenceRequest, InferenceResponse } from 'nereid/model';
        export async function execute(requests: InferenceRequest[]) {
          return Promise.all(requests.map(async (request) => {
            const response = await new InferenceRequest({ model: 'nope', inputs: request.inputs }).exec();
            return new InferenceResponse({ error: response.hasError() ? response.error : undefined, outputs: [] });
          }));
        }`,
    });
    const s = await start();
    const error = await errorOf(s.infer({ model: 'caller', inputs: fp32Inputs([1]) }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/'nope'/);
  });

  it('fails the batch when execute throws, with the message and a stack pointing at model.ts', async () => {
    await writeScriptModel(fixture.repo, 'thrower', {
      source: [
        "import type { InferenceRequest } from 'nereid/model';",
        'export function execute(requests: InferenceRequest[]) {',
        "  throw new Error('broken on purpose');",
        '}',
      ].join('\n'),
    });
    const s = await start();
    const error = await errorOf(s.infer({ model: 'thrower', inputs: fp32Inputs([1]) }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/model 'thrower' instance 'thrower_0_0': execute failed: broken on purpose/);
    expect(error.message).toMatch(/1\/model\.ts:3:\d+/);
    // The message once, and only the model's frames: the sdk's say nothing about the model's code.
    expect(error.message.split('broken on purpose')).toHaveLength(2);
    expect(error.message).not.toMatch(/nereid\/sdk\//);
    // The instance survives a thrown error.
    expect((await errorOf(s.infer({ model: 'thrower', inputs: fp32Inputs([1]) }))).message).toMatch(/broken on purpose/);
  });

  it('refuses a wrong number of responses, saying so once and without the sdk\'s own stack', async () => {
    await writeScriptModel(fixture.repo, 'miscount', { source: 'export function execute() { return []; }' });
    const s = await start();
    const error = await errorOf(s.infer({ model: 'miscount', inputs: fp32Inputs([1]) }));
    expect(error.message).toBe(
      "model 'miscount' instance 'miscount_0_0': execute failed: execute returned 0 responses for 1 request; expected 1, one InferenceResponse per request in request order",
    );
  });

  it('does not load a model that imports a Node built-in, naming the import', async () => {
    await writeScriptModel(fixture.repo, 'sneaky', { source: "import { readFileSync } from 'node:fs';\nexport function execute() { return [readFileSync]; }" });
    await writeScriptModel(fixture.repo, 'fine', { source: 'export function execute(r: unknown[]) { return r.map(() => ({})); }' });
    const s = await start();
    expect(s.isModelReady('sneaky')).toBe(false);
    expect(await reasonOf(s, 'sneaky')).toMatch(/node:fs/);
    expect(s.isModelReady('fine')).toBe(true);
  });

  it('lets autoCompleteConfig fill inputs, outputs and max_batch_size, and nothing the config decides', async () => {
    await writeScriptModel(fixture.repo, 'completes', {
      config: 'backend: "typescript"',
      source: `
        import type { ModelConfig } from 'nereid/model';
        export function autoCompleteConfig(config: ModelConfig): ModelConfig {
          return { ...config, max_batch_size: 4,
            input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [2] }],
            output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [2] }] };
        }
        export function execute(requests: unknown[]) { return requests.map(() => ({})); }`,
    });
    // Instance groups and limits stay the operator's, as in Triton.
    await writeScriptModel(fixture.repo, 'grabs', {
      config: fp32Config('grabs'),
      source: `
        import type { ModelConfig } from 'nereid/model';
        export function autoCompleteConfig(config: ModelConfig): ModelConfig {
          return { ...config, instance_group: [{ count: 3, kind: 'KIND_CPU' }] };
        }
        export function execute(requests: unknown[]) { return requests.map(() => ({})); }`,
    });
    const s = await start();
    expect(s.modelConfig('completes')).toMatchObject({ max_batch_size: 4, input: [expect.objectContaining({ name: 'X', dims: [2] })] });
    expect(s.isModelReady('grabs')).toBe(false);
    expect(await reasonOf(s, 'grabs')).toMatch(/model 'grabs': autoCompleteConfig changed 'instance_group': it may set only input, output, max_batch_size, dynamic_batching and model_transaction_policy/);
  });

  it('keeps WebAssembly out of the sandbox unless the model enables it, and refuses a bad switch', async () => {
    // Answers whether WebAssembly exists and, where it does, 2 + 3 from a tiny module exporting add(i32, i32).
    const source = `
      import { InferenceResponse, type InferenceRequest } from 'nereid/model';
      const ADD = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11);
      export function execute(requests: InferenceRequest[]) {
        const wasm = typeof WebAssembly;
        const sum = wasm === 'undefined' ? -1 : (new WebAssembly.Instance(new WebAssembly.Module(ADD)).exports.add as (a: number, b: number) => number)(2, 3);
        return requests.map((request) => new InferenceResponse({ outputs: [request.requireInput('INPUT0').rename('OUTPUT0')], parameters: { wasm, sum } }));
      }`;
    const withSwitch = (name: string, value: string) => fp32Config(name, `parameters { key: "enable_webassembly" value: { string_value: "${value}" } }`);
    await writeScriptModel(fixture.repo, 'plain', { source });
    await writeScriptModel(fixture.repo, 'wasm', { source, config: withSwitch('wasm', 'true') });
    await writeScriptModel(fixture.repo, 'unsure', { source, config: withSwitch('unsure', 'maybe') });
    const s = await start();
    expect((await s.infer({ model: 'plain', inputs: fp32Inputs([1]) })).parameters).toEqual({ wasm: 'undefined', sum: -1 });
    expect((await s.infer({ model: 'wasm', inputs: fp32Inputs([1]) })).parameters).toEqual({ wasm: 'object', sum: 5 });
    expect(await reasonOf(s, 'unsure')).toMatch(/model 'unsure': parameter 'enable_webassembly' must be a boolean \(true\/false, 1\/0, on\/off\), got 'maybe'/);
  });

  it('calls a stateful model through BLS with correlationId and flags, and passes requestId on', async () => {
    await mkdir(join(fixture.repo, 'accumulate', '1'), { recursive: true });
    await copyFile('models/accumulate/config.pbtxt', join(fixture.repo, 'accumulate', 'config.pbtxt'));
    await copyFile('models/accumulate/1/model.onnx', join(fixture.repo, 'accumulate', '1', 'model.onnx'));
    await writeScriptModel(fixture.repo, 'echo_id', {
      source: `
        import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')], parameters: { id: r.id, correlation: String(r.correlationId), flags: r.flags } }));
        }`,
    });
    // Sums INPUT0's values through accumulate as one sequence (77), then asks echo_id what it received.
    await writeScriptModel(fixture.repo, 'summer', {
      source: `
        import { InferenceRequest, InferenceResponse, RequestFlags, Tensor, type InferenceRequest as Request } from 'nereid/model';
        export async function execute(requests: Request[]) {
          const request = requests[0]!;
          const input = request.requireInput('INPUT0');
          const values = Array.from(input.data as Float32Array);
          let total = 0;
          for (let i = 0; i < values.length; i++) {
            const flags = (i === 0 ? RequestFlags.SEQUENCE_START : 0) | (i === values.length - 1 ? RequestFlags.SEQUENCE_END : 0);
            const step = await new InferenceRequest({ model: 'accumulate', correlationId: 77, flags, inputs: [new Tensor('INPUT', 'INT32', [1, 1], Int32Array.of(values[i]!))] }).exec();
            if (step.error) throw step.error;
            total = (step.requireOutput('OUTPUT').data as Int32Array)[0]!;
          }
          const echo = await new InferenceRequest({ model: 'echo_id', requestId: 'inner-1', correlationId: 'abc', flags: RequestFlags.SEQUENCE_START | RequestFlags.SEQUENCE_END, inputs: [input] }).exec();
          return [new InferenceResponse({ outputs: [input.rename('OUTPUT0')], parameters: { total, ...echo.parameters } })];
        }`,
    });
    const s = await start();
    const response = await s.infer({ model: 'summer', inputs: fp32Inputs([1, 2, 3]) });
    expect(response.parameters).toEqual({ total: 6, id: 'inner-1', correlation: 'abc', flags: 3 });
    // A client's sequence parameters reach a model without a sequence batcher as its correlation id and flags, as in Triton.
    const direct = await s.infer({ model: 'echo_id', id: 'outer', inputs: fp32Inputs([1]), parameters: { sequence_id: 5, sequence_start: true } });
    expect(direct.parameters).toEqual({ id: 'outer', correlation: '5', flags: 1 });
  });

  it('hands a model integer parameters beyond 2^53 as their exact decimal text, smaller ones as numbers', async () => {
    await writeScriptModel(fixture.repo, 'echo_parameters', {
      source: `
        import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')], parameters: r.parameters }));
        }`,
    });
    const s = await start();
    const response = await s.infer({ model: 'echo_parameters', inputs: fp32Inputs([1]), parameters: { big: 2n ** 60n + 1n, small: 5n, negative: -(2n ** 62n) } });
    expect(response.parameters).toEqual({ big: '1152921504606846977', small: 5, negative: '-4611686018427387904' });
  });

  it('fails a response whose outputs contradict the config, naming the output and what was expected', async () => {
    // Answers OUTPUT0 as the config says, or wrongly as its \`mode\` parameter says.
    await writeScriptModel(fixture.repo, 'liar', {
      source: `
        import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          return requests.map((r) => {
            const input = r.requireInput('INPUT0');
            const mode = r.parameters.mode;
            const output =
              mode === 'int' ? new Tensor('OUTPUT0', 'INT32', input.shape, new Int32Array(input.elementCount))
              : mode === 'batch' ? new Tensor('OUTPUT0', 'FP32', [5, 1], new Float32Array(5))
              : mode === 'bogus' ? input.rename('BOGUS')
              : input.rename('OUTPUT0');
            return new InferenceResponse({ outputs: [output] });
          });
        }`,
    });
    const s = await start();
    const ask = (mode: string) => errorOf(s.infer({ model: 'liar', inputs: fp32Inputs([1]), parameters: { mode } }));
    expect((await ask('int')).message).toMatch(/model 'liar' instance 'liar_0_0': the response's output 'OUTPUT0' is INT32, but the config declares TYPE_FP32/);
    expect((await ask('batch')).message).toMatch(/output 'OUTPUT0' has shape \[5,1\], but the config expects \[1,-1\] \(the request's batch size first\)/);
    expect((await ask('bogus')).message).toMatch(/output 'BOGUS' is not in the config \(it declares 'OUTPUT0'\)/);
    const fine = await s.infer({ model: 'liar', inputs: fp32Inputs([4]) });
    expect(Array.from(fine.outputs[0]!.data as Float32Array)).toEqual([4]);
  });

  it('checks isModelReady from the script', async () => {
    await writeFixture(fixture.repo, 'ident', identityModel('FP32', { batch: true, dims: [-1] }));
    await writeScriptModel(fixture.repo, 'asks', {
      source: `
        import { InferenceResponse, Tensor, isModelReady, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          const answer = new Float32Array([isModelReady('ident') ? 1 : 0, isModelReady('ghost') ? 1 : 0]);
          return requests.map(() => new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 2], answer)] }));
        }`,
    });
    const s = await start();
    const response = await s.infer({ model: 'asks', inputs: fp32Inputs([0]) });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([1, 0]);
  });
});

describe('TypeScript model failures', () => {
  const failing = async (name: string, body: string, extra = '') => {
    await writeScriptModel(fixture.repo, name, {
      config: fp32Config(name, extra),
      source: `
        import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export async function execute(requests: InferenceRequest[]) {
          if ((requests[0]!.input('INPUT0')!.data as Float32Array)[0] === 13) { ${body} }
          return requests.map((request) => new InferenceResponse({ outputs: [request.requireInput('INPUT0').rename('OUTPUT0')] }));
        }`,
    });
  };

  it.each([
    ['out of memory', 'const keep: number[][] = []; for (;;) keep.push(new Array(100000).fill(1));', 'parameters { key: "memory_limit_mb" value: { string_value: "16" } }', /ran out of memory \(memory_limit_mb 16\)/],
    ['an endless loop', 'for (;;) {}', 'parameters { key: "slice_timeout_ms" value: { string_value: "100" } }', /slice_timeout_ms \(100 ms\)/],
    // After an await the loop runs in a later entry (the timer's), which the same limit covers.
    ['an endless loop after an await', 'await new Promise((resume) => setTimeout(resume, 1)); for (;;) {}', 'parameters { key: "slice_timeout_ms" value: { string_value: "100" } }', /slice_timeout_ms \(100 ms\)/],
    ['an execute that never finishes', 'await new Promise(() => {});', 'parameters { key: "execute_timeout_ms" value: { string_value: "300" } }', /execute_timeout_ms \(300 ms\)/],
    // The limit bounds ArrayBuffers too; V8 throws a RangeError instead of stopping the isolate, and the instance is replaced all the same.
    ['typed arrays filling its memory', 'const keep: Float64Array[] = []; for (;;) keep.push(new Float64Array(1 << 20));', 'parameters { key: "memory_limit_mb" value: { string_value: "16" } }', /ran out of memory \(memory_limit_mb 16\): Array buffer allocation failed/],
  ])('replaces an instance lost to %s; other models keep serving, and its next request waits for the replacement', async (_, body, extra, message) => {
    await failing('fragile', body, extra);
    await writeFixture(fixture.repo, 'ident', identityModel('FP32', { batch: true, dims: [-1] }));
    const s = await start();
    const error = await errorOf(s.infer({ model: 'fragile', inputs: fp32Inputs([13]) }));
    expect(error.message).toMatch(/model 'fragile' instance 'fragile_0_0' failed: /);
    expect(error.message).toMatch(message);
    const ok = await s.infer({ model: 'ident', inputs: fp32Inputs([5]) });
    expect(Array.from(ok.outputs[0]!.data as Float32Array)).toEqual([5]);
    // Sent while the replacement starts: it waits for it rather than failing on the dead instance.
    const next = await s.infer({ model: 'fragile', inputs: fp32Inputs([1]) });
    expect(Array.from(next.outputs[0]!.data as Float32Array)).toEqual([1]);
  });
});

describe('BLS cycles', () => {
  /** A model.ts that calls `next` (with DEPTH - 1) while DEPTH > 0, else answers its input. */
  const relay = (next: string) => `
    import { InferenceRequest, InferenceResponse, Tensor, type InferenceRequest as Request } from 'nereid/model';
    export async function execute(requests: Request[]) {
      return Promise.all(requests.map(async (request) => {
        const depth = Number(request.parameters.depth ?? 1);
        if (depth <= 0) return new InferenceResponse({ outputs: [request.requireInput('INPUT0').rename('OUTPUT0')] });
        const inner = await new InferenceRequest({ model: '${next}', inputs: request.inputs, parameters: { depth: depth - 1 } }).exec();
        return new InferenceResponse({ outputs: inner.outputs, error: inner.error });
      }));
    }`;

  it('refuses at once a BLS call that waits on itself: a single-instance model calling itself, and A -> B -> A', async () => {
    // A long time limit: the refusal must not come from it.
    const slow = 'parameters { key: "execute_timeout_ms" value: { string_value: "60000" } }';
    await writeScriptModel(fixture.repo, 'selfish', { config: fp32Config('selfish', slow), source: relay('selfish') });
    await writeScriptModel(fixture.repo, 'ping', { config: fp32Config('ping', slow), source: relay('pong') });
    await writeScriptModel(fixture.repo, 'pong', { config: fp32Config('pong', slow), source: relay('ping') });
    const s = await start();
    const started = performance.now();
    const self = await errorOf(s.infer({ model: 'selfish', inputs: fp32Inputs([1]), parameters: { depth: 1 } }));
    expect(self.code).toBe('UNAVAILABLE');
    expect(self.message).toMatch(/model 'selfish' version 1 cannot run this request: .*its only instance 'selfish_0_0' is already executing and waiting for this call/);
    const cycle = await errorOf(s.infer({ model: 'ping', inputs: fp32Inputs([1]), parameters: { depth: 2 } }));
    expect(cycle.message).toMatch(/model 'ping' version 1 cannot run this request: .*'ping_0_0'/);
    expect(performance.now() - started).toBeLessThan(5_000);
    // Nothing was lost: the instances still serve, and a chain that does not come back is fine.
    const ok = await s.infer({ model: 'ping', inputs: fp32Inputs([4]), parameters: { depth: 1 } });
    expect(Array.from(ok.outputs[0]!.data as Float32Array)).toEqual([4]);
  });

  it('lets a model call itself when another of its instances is free to answer', async () => {
    await writeScriptModel(fixture.repo, 'pair', {
      config: fp32Config('pair').replace('count: 1', 'count: 2'),
      source: relay('pair'),
    });
    const s = await start();
    const response = await s.infer({ model: 'pair', inputs: fp32Inputs([7]), parameters: { depth: 1 } });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([7]);
    // Three deep needs three instances waiting at once: two are not enough, and that is refused rather than hung.
    const error = await errorOf(s.infer({ model: 'pair', inputs: fp32Inputs([7]), parameters: { depth: 2 } }));
    expect(error.message).toMatch(/all its instances \('pair_0_0', 'pair_0_1'\) are already executing/);
  });
});
