/**
 * Tamper-evident evidence for a drill report (pure): the SHA-256 of the report in canonical JSON (RFC 8785
 * style: keys sorted, no whitespace; the hash field itself left out), a link to the previous report version of
 * the same backup instance (a hash chain), the controls the drill supports and whether the restore landed
 * apart from the source. Every saved version is also kept unchanged (src/lib/storage/reportStore.ts), so any
 * link can be checked later: a changed byte breaks that version's hash, a removed version leaves a dangling link.
 */
import { createHash } from 'node:crypto';
import type { DrillReport } from '../types/generated/drill-report';
import { parseArmId, type ArmId } from '../dataprotection/armId';

/** The server an id names or lies under (a Single Server database's server), or undefined if it is no ARM id. */
function serverOf(id: string): ArmId | undefined {
  try {
    const a = parseArmId(id);
    const top = a.segments[0]!;
    return parseArmId(
      `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/${a.provider}/${top.type}/${top.name}`,
    );
  } catch {
    return undefined;
  }
}

export type Evidence = NonNullable<DrillReport['evidence']>;
export type EvidenceLink = NonNullable<Evidence['previous']>;

/** JSON with object keys sorted at every level and no whitespace; undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash a report's evidence carries: of the whole report, its evidence.sha256 left out. */
export function reportHash(report: DrillReport): string {
  const { evidence, ...rest } = report;
  const body = evidence ? { ...rest, evidence: { ...evidence, sha256: undefined } } : rest;
  return createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
}

/** Where a drill restored, against where the data came from: what segregation auditors ask about. */
export function segregationOf(report: DrillReport): Evidence['segregation'] {
  const source = report.datasource?.id ? serverOf(report.datasource.id) : undefined;
  const t = report.request.target;
  if (t.kind === 'files') {
    return {
      target: `files in ${t.containerUrl}${t.load ? `, loaded into ${t.load.host}` : ''}`,
      sameServer: false,
      statement: `Restored as files into ${t.containerUrl}${t.load ? ` and loaded into a scratch database on the drill server ${t.load.host}` : ''}: the source server${source?.name ? ` ${source.name}` : ''} was not written to.`,
    };
  }
  const target = serverOf(t.serverId);
  const same = (f: (a: ArmId) => string) =>
    !!source && !!target && f(source).toLowerCase() === f(target).toLowerCase();
  const sameServer = same((a) => a.id);
  const sameSubscription = same((a) => a.subscriptionId);
  const sameGroup = sameSubscription && same((a) => a.resourceGroup);
  return {
    target: `database on ${t.serverId}`,
    sameServer,
    sameResourceGroup: sameGroup,
    sameSubscription,
    statement: sameServer
      ? 'Restored as a new database on the source server itself: not a segregated system (use another server for DORA Art. 12).'
      : `Restored on ${target?.name ?? t.serverId}, a server other than the source${sameGroup ? ' (same resource group)' : sameSubscription ? ' (another resource group, same subscription)' : ' (another subscription)'}: the source was not written to.`,
  };
}

/** The controls a drill supports, each with its clause and what in this report proves it. */
export function controlsOf(report: DrillReport): Evidence['controls'] {
  const checks = report.verification.length;
  const passed = report.verification.filter((c) => c.status === 'passed').length;
  const restore = `recovery point ${report.recoveryPoint?.id ?? '–'} (${report.recoveryPoint?.time ?? '–'}) restored by Azure Backup job ${report.job?.id ?? '–'} (${report.job?.status ?? 'no job'})`;
  const verified = `${passed} of ${checks} verification check(s) passed on the restored data`;
  const verdict = `verdict ${report.verdict}${report.failure ? ` (${report.failure.code})` : ''}`;
  return [
    {
      framework: 'ISO/IEC 27001:2022',
      clause: 'A.8.13 Information backup',
      requirement: 'Backup copies are maintained and regularly tested.',
      proof: `${restore}; ${verified}; ${verdict}.`,
    },
    {
      framework: 'SOC 2 (Trust Services Criteria)',
      clause: 'A1.3',
      requirement:
        'Recovery plan procedures, including the integrity and completeness of backup data, are tested.',
      proof: `${verified}${report.objectives?.rto ? `; RTO ${report.objectives.rto.actualSeconds} s against ${report.objectives.rto.targetSeconds} s` : ''}; ${verdict}.`,
    },
    {
      framework: 'DORA (EU 2022/2554)',
      clause: 'Art. 12 Backup policies and restoration and recovery procedures',
      requirement: 'Backups are restored periodically, on systems segregated from the source.',
      proof: `${restore}; ${segregationOf(report).statement}`,
    },
    {
      framework: 'HIPAA Security Rule',
      clause: '45 CFR 164.308(a)(7)(ii)(D) Testing and revision procedures',
      requirement: 'Contingency plans, data backup and restore included, are tested periodically.',
      proof: `drill ${report.drillId} started ${report.startedAt}; ${verdict}.`,
    },
  ];
}

/** The evidence of a report version, linked to `previous` (null: the first of its backup instance). */
export function withEvidence(report: DrillReport, previous: EvidenceLink | null): DrillReport {
  const draft: DrillReport = {
    ...report,
    evidence: {
      algorithm:
        'sha256 of the canonical JSON (keys sorted, no whitespace) of the report without evidence.sha256',
      sha256: '',
      previous,
      controls: controlsOf(report),
      segregation: segregationOf(report),
    },
  };
  return { ...draft, evidence: { ...draft.evidence!, sha256: reportHash(draft) } };
}
