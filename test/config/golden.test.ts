/**
 * Table-driven golden cases: every directory under test/config/golden is one
 * model directory in, the exact normalised config (or the exact error) out.
 * See golden-pipeline.ts for the layout of a case.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NereidError } from '../../sdk/errors.ts';
import { renderConfigJsonText } from '../../runtime/config/render-config-json.ts';
import { caseLabel, type GoldenExpectation, readJson, runGoldenCase } from './golden-pipeline.ts';

const GOLDEN_DIR = join(import.meta.dirname, 'golden');
const cases = readdirSync(GOLDEN_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('config golden cases', () => {
  it('finds the cases', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  it.each(cases)('%s', async (caseName) => {
    const caseDir = join(GOLDEN_DIR, caseName);
    const expected = readJson<GoldenExpectation>(join(caseDir, 'expected.json'));
    if (expected.error !== undefined) {
      const error = await runGoldenCase(caseDir, caseName).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, 'expected the case to fail').toBeInstanceOf(NereidError);
      expect((error as NereidError).code).toBe('INVALID_ARG');
      expect((error as NereidError).message).toBe(expected.error.replaceAll('{dir}', caseLabel(caseDir)));
      return;
    }
    const config = await runGoldenCase(caseDir, caseName);
    expect(config).toStrictEqual(expected.config);
    // The normalised config already has Triton's key order and defaults; rendering it changes nothing.
    expect(renderConfigJsonText(config)).toBe(JSON.stringify(expected.config));
    if (expected.json !== undefined) expect(renderConfigJsonText(config)).toBe(expected.json);
  });
});
