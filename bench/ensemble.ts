/**
 * Ensemble overhead, in process: the bundled two-step `simple_chain` ensemble
 * against the client calling `simple` twice, one call after the other, with
 * the same data (what the ensemble does for it). Arms are interleaved call by
 * call so drift on a shared machine hits both alike; the figure is the
 * difference of medians divided by the two steps (issue 5 target: under
 * 30 µs per step).
 *
 *   npm run bench:ensemble [-- iterations]
 */
import { createLogger } from '../runtime/logging/logger.ts';
import { createServer } from '../runtime/server/create-server.ts';
import { Tensor } from '../sdk/tensor.ts';

const iterations = Number(process.argv[2] ?? 3000);
const server = await createServer({
  modelRepository: 'models',
  modelControlMode: 'explicit',
  loadModels: ['simple_chain'],
  log: createLogger({ write: () => {} }),
});

const inputs = (): Tensor[] => [
  new Tensor('INPUT0', 'INT32', [1, 16], new Int32Array(16).map((_, i) => i)),
  new Tensor('INPUT1', 'INT32', [1, 16], new Int32Array(16).fill(1)),
];

async function ensemble(): Promise<void> {
  await server.infer({ model: 'simple_chain', inputs: inputs() });
}

async function clientChain(): Promise<void> {
  const first = await server.infer({ model: 'simple', inputs: inputs() });
  await server.infer({ model: 'simple', inputs: [first.outputs[0]!.rename('INPUT0'), first.outputs[1]!.rename('INPUT1')] });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;

for (let i = 0; i < 300; i++) {
  await ensemble();
  await clientChain();
}
const times = { ensemble: [] as number[], client: [] as number[] };
for (let i = 0; i < iterations; i++) {
  const arms: [keyof typeof times, () => Promise<void>][] = i % 2 ? [['ensemble', ensemble], ['client', clientChain]] : [['client', clientChain], ['ensemble', ensemble]];
  for (const [name, run] of arms) {
    const started = performance.now();
    await run();
    times[name].push((performance.now() - started) * 1000);
  }
}
await server.close();

const ens = median(times.ensemble);
const client = median(times.client);
console.log(`two-step ensemble vs two client calls, ${iterations} interleaved iterations each (µs)`);
console.log(`  ensemble      p50 ${ens.toFixed(1)}  p99 ${p99(times.ensemble).toFixed(1)}`);
console.log(`  client chain  p50 ${client.toFixed(1)}  p99 ${p99(times.client).toFixed(1)}`);
console.log(`  ensemble overhead per step (p50 difference / 2): ${((ens - client) / 2).toFixed(1)} µs (target < 30)`);
