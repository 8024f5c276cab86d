import { describe, expect, it } from 'vitest';
import { FailedPreconditionError, NotFoundError, ResourceExhaustedError } from '../../../common/errors.js';
import { selectGpus } from '../../../runtime/gpu/select-gpus.js';

const gpus = [
  { index: 1, uuid: 'GPU-bbbb' },
  { index: 0, uuid: 'GPU-aaaa' },
  { index: 2, uuid: 'GPU-cccc' },
];

describe('selectGpus', () => {
  it('gives every GPU, in index order, for all', () => {
    expect(selectGpus('all', gpus).map((g) => g.index)).toEqual([0, 1, 2]);
  });

  it('gives N distinct GPUs for a count of N', () => {
    const chosen = selectGpus({ count: 2 }, gpus);
    expect(chosen.map((g) => g.uuid)).toEqual(['GPU-aaaa', 'GPU-bbbb']);
  });

  it('finds GPUs by index and by UUID, case-insensitively, once each', () => {
    const chosen = selectGpus({ ids: [{ uuid: 'gpu-CCCC' }, { index: 0 }, { uuid: 'GPU-aaaa' }] }, gpus);
    expect(chosen.map((g) => g.index)).toEqual([0, 2]);
  });

  it('refuses a count larger than the node has, saying how many exist', () => {
    expect(() => selectGpus({ count: 4 }, gpus)).toThrow(new ResourceExhaustedError('4 GPUs were requested but this node has 3 GPUs (indexes 0-2)'));
  });

  it('refuses an unknown index', () => {
    expect(() => selectGpus({ ids: [{ index: 5 }] }, gpus)).toThrow(new NotFoundError('GPU index 5 does not exist: this node has 3 GPUs (indexes 0-2); list them with nvidia-smi -L'));
  });

  it('refuses an unknown UUID', () => {
    expect(() => selectGpus({ ids: [{ uuid: 'GPU-ffff' }] }, gpus.slice(0, 1))).toThrow('GPU GPU-ffff does not exist: this node has 1 GPU (index 0); list them with nvidia-smi -L');
  });

  it('refuses any request on a node without GPUs', () => {
    expect(() => selectGpus('all', [])).toThrow(new FailedPreconditionError('GPUs were requested but this node has no NVIDIA GPU: check the driver with nvidia-smi'));
  });
});
