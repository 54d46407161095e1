/**
 * One standalone host per task hub. The host keeps every instance's state in its own process and writes it to
 * storage; a second host on the same hub would run the same instances twice and overwrite each other's state.
 * So a host holds a blob lease for its hub while it runs (`pgdrill-hosts/{hub}.lease`) and refuses to start
 * while another host holds it. Scaling out is Azure Functions' job, not this host's.
 *
 * The lease is short (15 s) and renewed every 5 s, so a host that died frees the hub soon. A host restarted on
 * the same machine after a crash (SIGKILL, power loss of the process) need not wait: the holder's pid and lease
 * id are in the blob's metadata, and when that pid is no longer running here the new host takes the lease over.
 * Any other holder is given one lease period to renew before the new host refuses to start.
 * A renewal that fails because storage is unreachable is retried (an expired lease can be renewed while nobody
 * else took it); one refused because another host took the lease stops this host (onLost).
 */
import type { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError } from '../lib/errors';
import { recommendedActionFor } from '../lib/recommendedActions';

export const LEASE_CONTAINER = 'pgdrill-hosts';
const LEASE_SECONDS = 15;
const RENEW_EVERY_MS = 5_000;

export interface HubLeaseOptions {
  blobs: BlobServiceClient;
  hub: string;
  /** Called once if another host took the lease: this host must stop. */
  onLost: (err: AppError) => void;
  log?: (line: Record<string, unknown>) => void;
  /** How long to wait for a lease held by a host that may have died elsewhere (default: one lease period). */
  waitMs?: number;
}

interface Holder {
  host?: string;
  pid?: string;
  leaseid?: string;
  since?: string;
}

/** The hub is held by another host that is (or may still be) running. */
export class TaskHubInUseError extends AppError {
  constructor(hub: string, holder: Holder, blob: string) {
    const who = holder.pid
      ? `pid ${holder.pid} on ${holder.host ?? 'an unknown machine'}${holder.since ? ` since ${holder.since}` : ''}`
      : 'another host';
    super(
      'TaskHubInUse',
      `task hub "${hub}" is in use by another standalone host (${who}; lease on blob ${blob}): two hosts on one hub would run the same drills twice`,
      {
        isUserError: true,
        recommendedActions: [recommendedActionFor('TaskHubInUse')!],
      },
    );
  }
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HubLease {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly blob: BlockBlobClient,
    private leaseId: string,
    private readonly options: HubLeaseOptions,
  ) {}

  get blobName(): string {
    return `${LEASE_CONTAINER}/${this.options.hub}.lease`;
  }

  /** Takes the hub's lease, or throws TaskHubInUseError naming who holds it. */
  static async acquire(options: HubLeaseOptions): Promise<HubLease> {
    const container = options.blobs.getContainerClient(LEASE_CONTAINER);
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient(`${options.hub}.lease`);
    const name = `${LEASE_CONTAINER}/${options.hub}.lease`;
    // The blob the lease is on; never overwritten (a leased blob refuses it anyway).
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch((err: unknown) => {
      if (statusOf(err) !== 409 && statusOf(err) !== 412) throw err;
    });
    const until = Date.now() + (options.waitMs ?? (LEASE_SECONDS + 2) * 1000);
    let holder: Holder = {};
    for (let first = true; ; first = false) {
      const proposed = randomUUID();
      try {
        await blob.getBlobLeaseClient(proposed).acquireLease(LEASE_SECONDS);
        return await HubLease.held(blob, proposed, options);
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      holder = (await blob.getProperties()).metadata ?? {};
      const pid = Number(holder.pid);
      const here = holder.host === hostname() && Number.isInteger(pid) && pid > 0;
      if (here && pid !== process.pid && !processRunning(pid) && holder.leaseid) {
        // Its holder died on this machine: take the lease over (acquiring with the same id succeeds).
        try {
          const old = blob.getBlobLeaseClient(holder.leaseid);
          await old.acquireLease(LEASE_SECONDS);
          // A lease id of our own at once: of two hosts taking the same dead holder's lease over, only the
          // first one's change succeeds (the second now holds a lease id that is no longer the lease's).
          const mine = randomUUID();
          await old.changeLease(mine);
          options.log?.({ message: 'took over the task hub lease of a host that is no longer running', pid });
          return await HubLease.held(blob, mine, options);
        } catch (err) {
          if (statusOf(err) !== 409) throw err;
        }
      }
      // A live holder renews; a dead one (elsewhere, or whose pid was reused here) lets the lease expire.
      if (Date.now() >= until) throw new TaskHubInUseError(options.hub, holder, name);
      if (first)
        options.log?.({
          message: 'the task hub is leased by another host: waiting to see whether it is still alive',
          holder: { host: holder.host, pid: holder.pid },
        });
      await sleep(1_000);
    }
  }

  private static async held(
    blob: BlockBlobClient,
    leaseId: string,
    options: HubLeaseOptions,
  ): Promise<HubLease> {
    await blob.setMetadata(
      { host: hostname(), pid: String(process.pid), leaseid: leaseId, since: new Date().toISOString() },
      { conditions: { leaseId } },
    );
    const lease = new HubLease(blob, leaseId, options);
    lease.timer = setInterval(() => void lease.renew(), RENEW_EVERY_MS);
    lease.timer.unref();
    return lease;
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      await this.blob.getBlobLeaseClient(this.leaseId).renewLease();
    } catch (err) {
      if (this.released) return;
      const status = statusOf(err);
      if (status === 409 || status === 412) {
        // Another host holds the hub now: this one must not touch its state again.
        clearInterval(this.timer);
        this.released = true;
        const holder = (await this.blob.getProperties().catch(() => undefined))?.metadata ?? {};
        this.options.onLost(new TaskHubInUseError(this.options.hub, holder, this.blobName));
        return;
      }
      if (status === 404) {
        // The blob is gone (storage emptied): lease it again under the same id.
        await this.blob.upload('', 0, { conditions: { ifNoneMatch: '*' } }).catch(() => undefined);
        await this.blob
          .getBlobLeaseClient(this.leaseId)
          .acquireLease(LEASE_SECONDS)
          .catch(() => undefined);
        return;
      }
      // Storage unreachable: try again at the next tick (an expired lease nobody took can still be renewed).
      this.options.log?.({
        message: 'could not renew the task hub lease: retrying',
        error: (err as Error).message,
      });
    }
  }

  /** Frees the hub (on a clean stop). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.blob
      .getBlobLeaseClient(this.leaseId)
      .releaseLease()
      .catch(() => undefined);
  }
}
