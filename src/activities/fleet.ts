/**
 * The fleet's side effects: listing what a fleet plan's scope covers through ARM (vaults of resource groups
 * and subscriptions, their backup instances, the source servers' tags when the scope filters on tags) and
 * reading past drills from the report table; the decision itself is pure (src/lib/drill/fleet.ts). Only
 * small plain JSON goes back to the orchestrator: per instance its id, template, cap keys and start offset.
 */
import { datasourceKindOf, parentId, parseArmId, parseBackupVaultId } from '../lib/dataprotection/armId';
import { toFailure } from '../lib/errors';
import {
  capKeysOf,
  coverageOf,
  dueForDrill,
  outOfScope,
  startOffsetSeconds,
  templateFor,
  uniqueInstances,
  type CapKeys,
  type CoverageEntry,
  type FleetInstance,
  type ScopeDecision,
} from '../lib/drill/fleet';
import { alertSelects, type AlertRun } from '../lib/drill/alertTriggers';
import { alertFleetDrillId } from '../lib/drill/instanceIds';
import type { FleetPlan } from '../lib/drill/plans';
import { restoreFromOf } from '../lib/drill/request';
import type { BackupInstanceResource } from '../lib/types/generated/dataprotection';
import type { ActivityDeps } from './deps';

export interface ScopeFleetInput {
  plan: FleetPlan;
  /** The time the window opens (the schedule slot, or when a run was asked for). */
  slot: string;
  /**
   * A run an alert started: only the instances it selects (regions, targets), every one drilled now (no
   * coverage window, no start offsets), and the alert's restoreFrom over the template's.
   */
  alert?: AlertRun;
  /** The run's id (an alert's run names each drill by its instance: src/lib/drill/instanceIds.ts). */
  fleetId?: string;
}

/** An instance the fleet drills in this run. */
export interface FleetItem {
  backupInstanceId: string;
  vaultId: string;
  template: number;
  keys: CapKeys;
  offsetSeconds: number;
  /** The drill's instance id when it is not the run's `{fleetId}.{index}` (an alert's run). */
  drillId?: string;
}

export interface ScopeFleetOutput {
  /** Every instance in scope, with its coverage (least recently drilled first). */
  coverage: CoverageEntry[];
  /** In scope and due, in the order they are drilled. */
  due: FleetItem[];
  /** Listed but left out, or in scope but not drillable (no template), each with why. */
  skipped: ScopeDecision[];
  /** In scope, proven within the coverage window: not drilled this run. */
  notDue: string[];
  /** Vaults or servers that could not be listed or read, each with the error (the run goes on without them). */
  problems: { resource: string; code: string; message: string }[];
}

/** The source server of a datasource: the server itself, or the server of a Single Server database. */
function sourceServerId(datasourceId: string): string {
  const parsed = parseArmId(datasourceId, 'datasource id');
  return parsed.segments.length > 1 ? parentId(parsed) : parsed.id;
}

export function fleetActivities(deps: ActivityDeps) {
  const dp = deps.dataProtection;
  const now = deps.now ?? (() => new Date());

  return {
    scopeFleet: async (input: ScopeFleetInput): Promise<ScopeFleetOutput> => {
      const { scope } = input.plan;
      const problems: ScopeFleetOutput['problems'] = [];
      const noted = (resource: string, err: unknown) => {
        const f = toFailure(err);
        problems.push({ resource, code: f.code, message: f.message });
      };

      // Vaults: those named, and every vault of the groups and subscriptions named (with their location).
      const vaults = new Map<string, { id: string; location?: string }>();
      const addVault = (id: string, location?: string) => {
        if (!vaults.has(id.toLowerCase()))
          vaults.set(id.toLowerCase(), { id, ...(location ? { location } : {}) });
      };
      for (const id of scope.vaults ?? []) {
        try {
          const v = await dp.getBackupVault(parseBackupVaultId(id).id);
          addVault(v.id, v.location);
        } catch (err) {
          noted(id, err);
        }
      }
      const listings = [
        ...(scope.resourceGroups ?? []).map((rg) => {
          const parts = rg.split('/');
          return { resource: rg, where: { subscriptionId: parts[2]!, resourceGroup: parts[4]! } };
        }),
        ...(scope.subscriptions ?? []).map((s) => ({
          resource: `/subscriptions/${s}`,
          where: { subscriptionId: s },
        })),
      ];
      for (const l of listings) {
        try {
          for await (const v of dp.listBackupVaults(l.where)) addVault(v.id, v.location);
        } catch (err) {
          noted(l.resource, err);
        }
      }

      // Their backup instances, and (only when the scope filters on tags) each source server's tags, once.
      const listed: FleetInstance[] = [];
      const tagsOf = new Map<string, Promise<{ tags: Record<string, string> } | { error: string }>>();
      const serverTags = (serverId: string) => {
        const key = serverId.toLowerCase();
        if (!tagsOf.has(key))
          tagsOf.set(
            key,
            dp.getServerResource(serverId).then(
              (r) => ({ tags: r.tags ?? {} }),
              (err: unknown) => {
                noted(serverId, err);
                return { error: toFailure(err).code };
              },
            ),
          );
        return tagsOf.get(key)!;
      };
      const unreadable = new Map<string, string>();
      for (const vault of vaults.values()) {
        const instances: BackupInstanceResource[] = [];
        try {
          for await (const bi of dp.listBackupInstances(vault.id)) instances.push(bi);
        } catch (err) {
          noted(vault.id, err);
          continue;
        }
        for (const bi of instances) {
          const datasourceId = bi.properties.dataSourceInfo.resourceID;
          let kind: FleetInstance['kind'];
          try {
            kind = datasourceKindOf(datasourceId);
          } catch {
            kind = { unsupported: bi.properties.dataSourceInfo.datasourceType ?? datasourceId };
          }
          let tags: Record<string, string> = {};
          if (scope.tags && typeof kind === 'string') {
            const read = await serverTags(sourceServerId(datasourceId));
            if ('error' in read) unreadable.set(bi.id.toLowerCase(), read.error);
            else tags = read.tags;
          }
          listed.push({
            backupInstanceId: bi.id,
            name: bi.name,
            vaultId: vault.id,
            ...(vault.location ? { region: vault.location } : {}),
            kind,
            datasourceId,
            tags,
            ...(bi.properties.protectionStatus?.status
              ? { protectionStatus: bi.properties.protectionStatus.status }
              : {}),
          });
        }
      }

      const skipped: ScopeDecision[] = [];
      const inScope: { instance: FleetInstance; template: number }[] = [];
      for (const instance of uniqueInstances(listed)) {
        const unread = unreadable.get(instance.backupInstanceId.toLowerCase());
        const reason = unread
          ? `its source server could not be read for its tags (${unread})`
          : (outOfScope(scope, instance) ?? (input.alert ? alertSelects(input.alert, instance) : undefined));
        if (reason) {
          skipped.push({ backupInstanceId: instance.backupInstanceId, reason });
          continue;
        }
        const crossRegion = input.alert?.restoreFrom;
        const template = templateFor(input.plan.templates, instance, crossRegion);
        if (template === undefined) {
          skipped.push({
            backupInstanceId: instance.backupInstanceId,
            reason: crossRegion
              ? `no cross-region template for ${instance.kind as string}/region ${instance.region ?? '(unknown)'}`
              : `no template for ${instance.kind as string} in region ${instance.region ?? '(unknown)'}`,
          });
          continue;
        }
        inScope.push({ instance, template });
      }

      const past = (await deps.reports.list()).map((r) => ({
        drillId: r.drillId,
        backupInstanceId: r.backupInstanceId,
        startedAt: r.startedAt,
        verdict: r.verdict,
        ...(r.restoreFrom ? { restoreFrom: r.restoreFrom } : {}),
      }));
      // Coverage by instance and where its drill restores from (the template's: an alert's run chose by it).
      const restoreFrom = (template: number) => restoreFromOf(input.plan.templates[template]!.request);
      // An alert's run drills every instance it selects, now: the alert is the reason, not the calendar.
      const everyDays = input.alert ? undefined : input.plan.everyDays;
      const coverage = coverageOf(
        inScope.map((i) => ({
          backupInstanceId: i.instance.backupInstanceId,
          restoreFrom: restoreFrom(i.template),
        })),
        past,
        now(),
        everyDays,
      );
      const byId = new Map(inScope.map((i) => [i.instance.backupInstanceId.toLowerCase(), i]));
      const due: FleetItem[] = [];
      const notDue: string[] = [];
      for (const entry of coverage) {
        const { instance, template } = byId.get(entry.backupInstanceId.toLowerCase())!;
        if (!dueForDrill(entry, everyDays)) {
          notDue.push(instance.backupInstanceId);
          continue;
        }
        due.push({
          backupInstanceId: instance.backupInstanceId,
          vaultId: instance.vaultId,
          template,
          keys: capKeysOf(input.plan.templates[template]!, instance.vaultId),
          offsetSeconds: input.alert
            ? 0
            : startOffsetSeconds(
                input.plan.name,
                input.slot,
                instance.backupInstanceId,
                input.plan.startWindowMinutes,
              ),
          ...(input.alert && input.fleetId
            ? { drillId: alertFleetDrillId(input.fleetId, instance.backupInstanceId) }
            : {}),
        });
      }
      deps.log?.('fleet scoped', {
        plan: input.plan.name,
        vaults: vaults.size,
        listed: listed.length,
        due: due.length,
        notDue: notDue.length,
        skipped: skipped.length,
        problems: problems.length,
      });
      return { coverage, due, skipped, notDue, problems };
    },
  };
}
