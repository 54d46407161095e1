/**
 * Every orchestration instance id the app uses, in one place. Instance ids are deterministic per trigger, so a
 * trigger retried after a crash finds the drill it already started instead of starting a second one
 * (docs/design.md, "Safety"):
 *
 *   drill-{idempotencyKey}          a request that names its own idempotency key (any trigger)
 *   drill-{uuid}                    an HTTP request without one (each request is a new drill)
 *   drill-q-{messageId | hash}      a queue message without one (redelivery finds the same drill)
 *   plan-{plan}@{slot}              a plan's drill for one schedule slot ("@" cannot occur in a plan name)
 *   {drillId}:{validate|restore|job} a drill's polling sub-orchestrations (so cancel can reach them)
 *   fleet-{plan}@{slot}             a fleet plan's run for one schedule slot
 *   fleet-{plan}-{uuid}             a fleet plan run on demand (HTTP, CLI)
 *   {fleetId}.{nnnn}                the drills of a fleet run, by their place in its order
 *   alert-{plan}-{hash}             the drill an alert (DRILL_ALERT_TRIGGERS) starts of one instance with a
 *                                   single plan: hash of (alert id, instance), so a retried webhook, or the same
 *                                   alert by HTTP and by queue, finds the drill it already started
 *   alertfleet-{plan}-{hash}        the fleet run an alert starts with a fleet plan: hash of the alert id, or
 *                                   of a Service Health incident's trackingId (each update of an incident is
 *                                   a new alert: the incident, not the update, is what runs once)
 *   {alertFleetId}.{hash}           its drills: hash of the instance (not its place, which depends on the order)
 *   doctor-{plan}@{slot}            a plan's scheduled pre-flight doctor run for one slot of its doctor schedule
 *
 * Pure.
 */
import { createHash } from 'node:crypto';

/** What a drill was started by, as far as its instance id depends on it. */
export type DrillOrigin =
  | { kind: 'http'; newId: () => string }
  | { kind: 'queue'; messageId?: string; messageText: string }
  | { kind: 'timer'; plan: string; slot: Date }
  | { kind: 'cli' | 'test'; newId: () => string }
  | { kind: 'alert'; plan: string; alertId: string; alertRule: string; backupInstanceId: string };

/** The instance id of a drill: a plan's slot, else the request's idempotency key, else one per origin. */
export function drillInstanceId(origin: DrillOrigin, idempotencyKey: string | undefined): string {
  if (origin.kind === 'timer') return planInstanceId(origin.plan, origin.slot);
  if (origin.kind === 'alert') return alertDrillId(origin.plan, origin.alertId, origin.backupInstanceId);
  if (idempotencyKey) return `drill-${idempotencyKey}`;
  if (origin.kind === 'queue')
    return `drill-q-${origin.messageId ?? createHash('sha256').update(origin.messageText).digest('hex').slice(0, 24)}`;
  return `drill-${origin.newId()}`;
}

/** Instance ids of a plan's drills start with this; no plan's prefix is another's. */
export function planInstancePrefix(plan: string): string {
  return `plan-${plan}@`;
}

/** Instance id of the drill a plan starts for one schedule slot. */
export function planInstanceId(plan: string, slot: Date): string {
  return `${planInstancePrefix(plan)}${slot
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Instance ids of a plan's doctor runs start with this; no plan's prefix is another's. */
export function doctorRunPrefix(plan: string): string {
  return `doctor-${plan}@`;
}

/** Instance id of a plan's doctor run for one slot of its doctor schedule (a retried timer finds it). */
export function doctorRunId(plan: string, slot: Date): string {
  return `doctor-${planInstanceId(plan, slot).slice('plan-'.length)}`;
}

/** Instance id of a fleet run: one per plan and slot (timer), or a new one per request. */
export function fleetInstanceId(plan: string, origin: { slot: Date } | { newId: () => string }): string {
  return 'slot' in origin
    ? `fleet-${planInstanceId(plan, origin.slot).slice('plan-'.length)}`
    : `fleet-${plan}-${origin.newId()}`;
}

/** Instance id of the drill a fleet run starts for the instance at `index` in its order. */
export function fleetDrillId(fleetId: string, index: number): string {
  return `${fleetId}.${String(index).padStart(4, '0')}`;
}

const hash = (text: string, length: number) =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/** The drill an alert starts of one backup instance with a single plan (alert ids are compared as given). */
export function alertDrillId(plan: string, alertId: string, backupInstanceId: string): string {
  return `alert-${plan}-${hash(`${alertId}\n${backupInstanceId.toLowerCase()}`, 24)}`;
}

/** The fleet run an alert starts with a fleet plan. */
export function alertFleetId(plan: string, alertId: string): string {
  return `alertfleet-${plan}-${hash(alertId, 24)}`;
}

/** The fleet run of a Service Health incident (its trackingId), whichever of its updates arrives. */
export function incidentFleetId(plan: string, trackingId: string): string {
  return alertFleetId(plan, `service-health-incident\n${trackingId.toLowerCase()}`);
}

/** A drill of an alert's fleet run: named by its instance, so the same alert names the same drill. */
export function alertFleetDrillId(fleetId: string, backupInstanceId: string): string {
  return `${fleetId}.${hash(backupInstanceId.toLowerCase(), 16)}`;
}

export const CHILD_PURPOSES = ['validate', 'restore', 'job'] as const;
export type ChildPurpose = (typeof CHILD_PURPOSES)[number];

/** Instance id of one of a drill's polling sub-orchestrations. */
export function childInstanceId(drillId: string, purpose: ChildPurpose): string {
  return `${drillId}:${purpose}`;
}

/** The drill an instance belongs to: the drill itself, or the drill of a polling sub-orchestration. */
export function drillIdOf(instanceId: string): string {
  const i = instanceId.lastIndexOf(':');
  return i > 0 && (CHILD_PURPOSES as readonly string[]).includes(instanceId.slice(i + 1))
    ? instanceId.slice(0, i)
    : instanceId;
}

/** What an instance id may look like when it comes from outside (a URL): the characters the formats above use. */
const INSTANCE_ID = /^[A-Za-z0-9._@:-]{1,256}$/;

/** An id from a request path: undefined when it is not one the app could have made. */
export function validInstanceId(id: string): boolean {
  return INSTANCE_ID.test(id);
}
