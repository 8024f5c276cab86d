import { describe, expect, it } from 'vitest';
import { mergeFiles } from '../../../../cli/compose/merge-files.js';

describe('merging several -f files', () => {
  it("merges services by docker compose's per-key rules", () => {
    const base = {
      services: {
        web: {
          image: 'web:1',
          command: ['serve', '--slow'],
          environment: ['A=1', 'B=2'],
          labels: { tier: 'front' },
          ports: ['8080:80'],
          volumes: ['./a:/data', 'cache:/cache'],
          depends_on: ['db'],
          build: { context: '.', args: ['X=1'] },
        },
        db: { image: 'db:1' },
      },
      volumes: { cache: {} },
    };
    const override = {
      services: {
        web: {
          image: 'web:2',
          command: ['serve'],
          environment: { B: '3', C: '4' },
          labels: ['debug=true'],
          ports: ['8080:80', '9090:90'],
          volumes: ['./b:/data'],
          depends_on: { cache: { condition: 'service_healthy' } },
          build: { args: { Y: '2' } },
        },
        cache: { image: 'cache:1' },
      },
    };
    expect(
      mergeFiles([
        { path: 'a.yml', content: base },
        { path: 'b.yml', content: override },
      ]),
    ).toEqual({
      services: {
        web: {
          image: 'web:2',
          command: ['serve'],
          environment: { A: '1', B: '3', C: '4' },
          labels: { tier: 'front', debug: 'true' },
          ports: ['8080:80', '9090:90'],
          volumes: ['./b:/data', 'cache:/cache'],
          depends_on: { db: {}, cache: { condition: 'service_healthy' } },
          build: { context: '.', args: { X: '1', Y: '2' } },
        },
        db: { image: 'db:1' },
        cache: { image: 'cache:1' },
      },
      volumes: { cache: {} },
    });
  });

  it('skips an empty file and refuses one whose top is not a map', () => {
    expect(
      mergeFiles([
        { path: 'empty.yml', content: null },
        { path: 'a.yml', content: { services: {} } },
      ]),
    ).toEqual({ services: {} });
    expect(() => mergeFiles([{ path: 'list.yml', content: ['web'] }])).toThrow(/list\.yml: the top level must be a map/);
  });
});
