import { describe, expect, it } from 'vitest';
import { clampOomScoreAdj } from '../../../runtime/cgroups/oom-score.js';

describe('oom_score_adj clamp', () => {
  it('raises a request below the daemon own value to it and says so', () => {
    expect(clampOomScoreAdj(-998, 0)).toEqual({ value: 0, raisedFrom: -998 });
  });

  it('keeps a request at or above the daemon own value', () => {
    expect(clampOomScoreAdj(1000, 0)).toEqual({ value: 1000 });
    expect(clampOomScoreAdj(-500, -500)).toEqual({ value: -500 });
  });

  it.each([-1001, 1001, 1.5])('refuses %s, outside the kernel range', (value) => {
    expect(() => clampOomScoreAdj(value, 0)).toThrow(/outside -1000..1000/);
  });
});
