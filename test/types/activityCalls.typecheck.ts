/**
 * Compile-time proof that activity calls are typed (checked by `npm run typecheck`, and by
 * test/unit/typing.test.ts, which also proves each line below is an error without its @ts-expect-error).
 * Never run: every function here only has to compile.
 */
import type * as df from 'durable-functions';
import type { JobSummary, RestoredFile } from '../../src/activities/contracts';
import { ACTIVITIES } from '../../src/activities/names';
import { callActivity, type CallOptions } from '../../src/orchestrators/helpers';
import { ok, type ActivityScript } from '../support/scripted';

declare const ctx: df.OrchestrationContext;
declare const options: CallOptions;

/** What compiles: the input is the activity's parameter, the result its awaited return. */
export function* rightCalls(): Generator<df.Task, void, unknown> {
  const job: JobSummary = yield* callActivity(ctx, ACTIVITIES.getJob, { vaultId: 'v', jobId: 'j' }, options);
  const files: RestoredFile[] = yield* callActivity(
    ctx,
    ACTIVITIES.listRestoredFiles,
    { containerUrl: 'https://a.blob.core.windows.net/c', filePrefix: 'pgdrill-x' },
    options,
  );
  void job;
  void files;
}

export function* wrongInputs(): Generator<df.Task, void, unknown> {
  // @ts-expect-error -- getJob needs a jobId
  yield* callActivity(ctx, ACTIVITIES.getJob, { vaultId: 'v' }, options);
  // @ts-expect-error -- a vault id is a string
  yield* callActivity(ctx, ACTIVITIES.getJob, { vaultId: 1, jobId: 'j' }, options);
  // @ts-expect-error -- another activity's input
  yield* callActivity(ctx, ACTIVITIES.loadDump, { vaultId: 'v', jobId: 'j' }, options);
  // @ts-expect-error -- not an activity
  yield* callActivity(ctx, 'dropEverything', {}, options);
}

export function* wrongResults(): Generator<df.Task, void, unknown> {
  // @ts-expect-error -- getJob gives a JobSummary, not files
  const files: RestoredFile[] = yield* callActivity(
    ctx,
    ACTIVITIES.getJob,
    { vaultId: 'v', jobId: 'j' },
    options,
  );
  const job = yield* callActivity(ctx, ACTIVITIES.getJob, { vaultId: 'v', jobId: 'j' }, options);
  // @ts-expect-error -- a job's status is text
  const polls: number = job.status;
  void files;
  void polls;
}

/** Test stubs have the same types as the activities they stand for. */
export const stubs: ActivityScript = {
  // @ts-expect-error -- a getJob stub must give a whole JobSummary
  getJob: () => ok({ id: 'j' }),
  // @ts-expect-error -- a stub reads the input of its own activity (pollOperation has no jobId)
  pollOperation: (input) => ok({ ...input.state, jobId: input.jobId }),
  saveReport: () => ok({ table: 't', blobUrl: 'b', htmlUrl: 'h' }),
};
