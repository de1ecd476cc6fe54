import { describe, expect, it } from 'vitest';
import { selectVersions } from '../../runtime/repository/version-policy.ts';

describe('selectVersions', () => {
  it('serves the highest version by default', () => {
    expect(selectVersions('m', undefined, [3, 1, 2])).toEqual([3]);
  });
  it('serves the latest N', () => {
    expect(selectVersions('m', { latest: { num_versions: 2 } }, [1, 2, 3])).toEqual([2, 3]);
    expect(selectVersions('m', { latest: { num_versions: 5 } }, [1, 2])).toEqual([1, 2]);
  });
  it('serves all versions', () => {
    expect(selectVersions('m', { all: {} }, [2, 1])).toEqual([1, 2]);
  });
  it('serves specific versions and names the missing ones', () => {
    expect(selectVersions('m', { specific: { versions: [1, 3] } }, [1, 2, 3])).toEqual([1, 3]);
    expect(() => selectVersions('m', { specific: { versions: [4] } }, [1, 2])).toThrow(
      "model 'm': version_policy specific lists version(s) 4 but the repository has 1, 2",
    );
  });
  it('fails when there is nothing to serve', () => {
    expect(() => selectVersions('m', undefined, [])).toThrow(/no version folders to serve/);
  });
});
