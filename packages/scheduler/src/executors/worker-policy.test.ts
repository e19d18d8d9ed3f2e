/** What a queue worker runs of a task (worker-policy.ts); the same through a real Redis and `prnr worker`: apps/cli/src/distributed.test.ts. */
import { describe, expect, it } from 'vitest';
import { TASK_VERSION, type ReplayTask } from '../task.js';
import { TaskRefusedError, taskUnderPolicy } from './worker-policy.js';

const OWN = 'file:///opt/prnr/packages/diagnosis/dist/index.js';
const task = (o: Partial<ReplayTask> = {}): ReplayTask => ({ version: TASK_VERSION, recording: { dir: '/r/a.rec' }, first: 0, last: 3, pass: 0, analyses: [], modules: [], ...o });

describe('a queue worker\'s policy', () => {
  it('a module not in the worker\'s list refuses the whole task, naming it and what the worker loads', () => {
    const t = task({ modules: [OWN, 'data:text/javascript,evil()'] });
    expect(() => taskUnderPolicy(t, { analysisModules: [OWN] })).toThrow(new TaskRefusedError(`the task names analysis module data:text/javascript,evil(), which this worker does not load (it loads ${OWN})`));
    expect(() => taskUnderPolicy(task({ modules: [OWN] }), { analysisModules: [] })).toThrow(/which this worker does not load \(it loads none but the built-in analyses\)$/);
    expect(taskUnderPolicy(task({ modules: [OWN] }), { analysisModules: [OWN] })).toEqual(task({ modules: [OWN] }));
    expect(taskUnderPolicy(t, {})).toBe(t); // no list: any module (a trusted queue)
  });

  it('a recording\'s own module copies run only where the worker allows them: the task runs without them otherwise', () => {
    for (const recording of [{ dir: '/r/a.rec', recordedModules: true }, { url: 'http://h:8090/recordings/a.rec', recordedModules: true }]) {
      const t = task({ recording });
      const { recordedModules: _, ...without } = recording;
      expect(taskUnderPolicy(t, {})).toEqual(task({ recording: without }));
      expect(taskUnderPolicy(t, { recordedModules: false }).recording).toEqual(without);
      expect(taskUnderPolicy(t, { recordedModules: true })).toBe(t);
    }
    const plain = task();
    expect(taskUnderPolicy(plain, {})).toBe(plain);
  });
});
