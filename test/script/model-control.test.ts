/**
 * loadModel / unloadModel from a model.ts (Triton's pb_utils.load_model /
 * unload_model), against a real server: what they change, and the changes
 * refused with an error because they would wait on the calling code itself.
 */
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { identityModel, writeFixture } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { useTempServer } from '../support/temp-server.ts';
import { ensembleConfig, writeEnsemble } from '../ensemble/support.ts';
import { fp32Config, fp32Inputs, writeScriptModel } from './support.ts';

const fixture = useTempServer();

/**
 * `keeper`: does what its request's parameters say to model `target`
 * ('load', 'load_config' with `config` JSON, 'unload', or nothing), then
 * answers with `target`'s output (after a load) or its own input, and the
 * response parameter `ready`: whether `target` is ready afterwards.
 */
const KEEPER = `
  import { InferenceRequest, InferenceResponse, isModelReady, loadModel, unloadModel, type InferenceRequest as Request } from 'nereid/model';
  export async function execute(requests: Request[]) {
    const request = requests[0]!;
    const target = String(request.parameters.target);
    const action = String(request.parameters.action ?? '');
    if (action === 'load') await loadModel(target);
    if (action === 'load_config') await loadModel(target, { config: String(request.parameters.config) });
    if (action === 'unload') await unloadModel(target);
    let outputs = [request.requireInput('INPUT0').rename('OUTPUT0')];
    if (action.startsWith('load')) {
      const called = await new InferenceRequest({ model: target, inputs: [request.requireInput('INPUT0')] }).exec();
      if (called.error) throw called.error;
      outputs = [...called.outputs];
    }
    return [new InferenceResponse({ outputs, parameters: { ready: isModelReady(target) } })];
  }`;

/** `caller`: forwards its request (parameters included) to `keeper` through BLS, so keeper runs while caller waits for it. */
const CALLER = `
  import { InferenceRequest, InferenceResponse, type InferenceRequest as Request } from 'nereid/model';
  export async function execute(requests: Request[]) {
    const request = requests[0]!;
    const response = await new InferenceRequest({ model: 'keeper', inputs: request.inputs, parameters: request.parameters }).exec();
    return [new InferenceResponse({ outputs: response.outputs, error: response.error, parameters: response.parameters })];
  }`;

/** `pipeline`: an ensemble whose one step is keeper (its parameters go on to the step). */
const PIPELINE = ensembleConfig('pipeline', [{ name: 'INPUT0', type: 'TYPE_FP32', dims: [-1] }], [{ name: 'OUTPUT0', type: 'TYPE_FP32', dims: [-1] }], [
  { model: 'keeper', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'OUTPUT0' } },
]);

async function startWithKeeper(options: { modelControlMode?: 'explicit' | 'none' } = {}): Promise<Server> {
  await writeFixture(fixture.repo, 'ident', identityModel('FP32', { batch: true, dims: [-1] }));
  await writeScriptModel(fixture.repo, 'keeper', { source: KEEPER });
  await writeScriptModel(fixture.repo, 'caller', { source: CALLER });
  await writeEnsemble(fixture.repo, 'pipeline', PIPELINE);
  const mode = options.modelControlMode ?? 'explicit';
  return fixture.start(mode === 'explicit' ? { modelControlMode: 'explicit', loadModels: ['keeper', 'caller', 'pipeline'] } : { modelControlMode: mode });
}

const act = (s: Server, model: string, parameters: Record<string, string>, values = [1, 2]) =>
  s.infer({ model, inputs: fp32Inputs(values), parameters });

describe('loadModel / unloadModel in a model.ts', () => {
  it('loads a model, calls it in the same execute, and unloads it', async () => {
    const s = await startWithKeeper();
    expect(s.isModelReady('ident')).toBe(false);
    const loaded = await act(s, 'keeper', { action: 'load', target: 'ident' }, [4, 5]);
    expect(Array.from(loaded.outputs[0]!.data as Float32Array)).toEqual([4, 5]);
    expect(loaded.parameters).toEqual({ ready: true });
    expect(s.isModelReady('ident')).toBe(true);
    const unloaded = await act(s, 'keeper', { action: 'unload', target: 'ident' });
    expect(unloaded.parameters).toEqual({ ready: false });
    expect(s.isModelReady('ident')).toBe(false);
  });

  it('loads with a config override', async () => {
    const s = await startWithKeeper();
    await act(s, 'keeper', { action: 'load', target: 'ident' });
    expect(s.modelConfig('ident').max_batch_size).toBe(8);
    // Without its dynamic batching, whose preferred size is 8.
    const config = JSON.stringify({ ...s.modelConfig('ident'), max_batch_size: 4, dynamic_batching: undefined });
    await act(s, 'keeper', { action: 'load_config', target: 'ident', config });
    expect(s.modelConfig('ident').max_batch_size).toBe(4);
  });

  it('fails the request with the server\'s error: an unknown model, a bad config', async () => {
    const s = await startWithKeeper();
    const unknown = await errorOf(act(s, 'keeper', { action: 'load', target: 'nope' }));
    expect(unknown.message).toMatch(/model 'keeper' instance 'keeper_0_0': execute failed: .*failed to load 'nope'/);
    const bad = await errorOf(act(s, 'keeper', { action: 'load_config', target: 'ident', config: '{not json' }));
    expect(bad.message).toMatch(/execute failed: .*load request for 'ident'/);
    expect(s.isModelReady('ident')).toBe(false);
  });

  it('refuses outside explicit model control mode', async () => {
    const s = await startWithKeeper({ modelControlMode: 'none' });
    const error = await errorOf(act(s, 'keeper', { action: 'unload', target: 'ident' }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/explicit model unload is not allowed in model control mode 'none'/);
    expect(s.isModelReady('ident')).toBe(true);
  });

  it('refuses at once a change that would wait on the calling code: the model itself, a model waiting for it through BLS, an ensemble it is a step of', async () => {
    const s = await startWithKeeper();
    const started = performance.now();
    const self = await errorOf(act(s, 'keeper', { action: 'unload', target: 'keeper' }));
    expect(self.code).toBe('UNAVAILABLE');
    expect(self.message).toMatch(/cannot unload model 'keeper' from a model: a request of 'keeper' is waiting for this call/);
    const reload = await errorOf(act(s, 'keeper', { action: 'load', target: 'keeper' }));
    expect(reload.message).toMatch(/cannot load model 'keeper' from a model/);
    // caller -> keeper: keeper unloading caller would wait for caller's request, which waits for keeper.
    const upstream = await errorOf(act(s, 'caller', { action: 'unload', target: 'caller' }));
    expect(upstream.message).toMatch(/cannot unload model 'caller' from a model: a request of 'caller' is waiting for this call/);
    // pipeline -> keeper (a step): unloading pipeline would wait for the pipeline request that waits for keeper.
    const ensemble = await errorOf(act(s, 'pipeline', { action: 'unload', target: 'pipeline' }));
    expect(ensemble.code).toBe('UNAVAILABLE');
    expect(ensemble.message).toMatch(/cannot unload model 'pipeline' from a model: a request of 'pipeline' is waiting for this call/);
    expect(performance.now() - started).toBeLessThan(5_000);
    // Nothing was lost.
    expect([s.isModelReady('keeper'), s.isModelReady('caller'), s.isModelReady('pipeline')]).toEqual([true, true, true]);
    const ok = await act(s, 'caller', { target: 'ident' }, [7]);
    expect(Array.from(ok.outputs[0]!.data as Float32Array)).toEqual([7]);
    const piped = await act(s, 'pipeline', { target: 'ident' }, [8]);
    expect(Array.from(piped.outputs[0]!.data as Float32Array)).toEqual([8]);
  });

  it('loads a model from files it was sent: the override files cross from the script to the server', async () => {
    await writeScriptModel(fixture.repo, 'deployer', {
      config: [
        'name: "deployer"',
        'backend: "typescript"',
        'input [ { name: "MODEL" data_type: TYPE_STRING dims: [ 1 ] } ]',
        'output [ { name: "READY" data_type: TYPE_INT32 dims: [ 1 ] } ]',
      ].join('\n'),
      source: `
        import { InferenceResponse, Tensor, isModelReady, loadModel, type InferenceRequest } from 'nereid/model';
        export async function execute(requests: InferenceRequest[]) {
          const request = requests[0]!;
          const name = String(request.parameters.name);
          const onnx = (request.requireInput('MODEL').data as Uint8Array[])[0]!;
          await loadModel(name, { config: String(request.parameters.config), files: { 'file:1/model.onnx': onnx } });
          return [new InferenceResponse({ outputs: [new Tensor('READY', 'INT32', [1], Int32Array.of(isModelReady(name) ? 1 : 0))] })];
        }`,
    });
    const s = await fixture.start({ modelControlMode: 'explicit', loadModels: ['deployer'] });
    const config = JSON.stringify({
      name: 'uploaded',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    });
    const onnx = identityModel('FP32', { batch: true, dims: [-1] }).onnx;
    const deployed = await s.infer({ model: 'deployer', inputs: [new Tensor('MODEL', 'BYTES', [1], [onnx])], parameters: { name: 'uploaded', config } });
    expect(Array.from(deployed.outputs[0]!.data as Int32Array)).toEqual([1]);
    const echoed = await s.infer({ model: 'uploaded', inputs: fp32Inputs([3, 1, 4]) });
    expect(Array.from(echoed.outputs[0]!.data as Float32Array)).toEqual([3, 1, 4]);
  });

  it('lets initialize load the models it needs, and refuses a load of a model whose load is in progress (its own)', async () => {
    await writeFixture(fixture.repo, 'ident', identityModel('FP32', { batch: true, dims: [-1] }));
    const booting = (target: string) => `
      import { InferenceResponse, loadModel, type InferenceRequest } from 'nereid/model';
      export async function initialize() { await loadModel('${target}'); }
      export function execute(requests: InferenceRequest[]) {
        return requests.map((request) => new InferenceResponse({ outputs: [request.requireInput('INPUT0').rename('OUTPUT0')] }));
      }`;
    await writeScriptModel(fixture.repo, 'boot', { source: booting('ident'), config: fp32Config('boot') });
    await writeScriptModel(fixture.repo, 'selfboot', { source: booting('selfboot'), config: fp32Config('selfboot') });
    const s = await fixture.start({ modelControlMode: 'explicit', loadModels: ['boot', 'selfboot'] });
    expect([s.isModelReady('boot'), s.isModelReady('ident')]).toEqual([true, true]);
    expect(s.isModelReady('selfboot')).toBe(false);
    const reason = (await s.repositoryIndex()).find((entry) => entry.name === 'selfboot')?.reason ?? '';
    expect(reason).toMatch(/initialize failed: cannot load model 'selfboot' from a model: a load or unload of 'selfboot' is in progress/);
  });
});
