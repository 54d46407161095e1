/* Generated from schemas/alert-triggers.schema.json by scripts/gen-types.mjs. Do not edit. */

/**
 * Event-triggered disaster-recovery drills (app setting DRILL_ALERT_TRIGGERS, a JSON array): which Azure Monitor alert (common alert schema, posted to POST /api/alerts by an action group's webhook or put on the drill-requests queue) starts which plan of DRILL_PLANS. A Service Health alert starts cross-region drills (restoreFrom secondaryRegion) of a fleet plan's instances whose vault is in a region the alert names; any other alert (an Azure Backup alert, a resource alert) starts drills of the backup instances or datasources its alertTargetIDs name. The first entry that matches the alert's rule is used; an alert no entry matches is logged and ignored.
 *
 * @maxItems 100
 */
export type AlertTriggers = AlertTrigger[];

export interface AlertTrigger {
  /**
   * The alert rule's name (essentials.alertRule), compared case-insensitively. Give alertRule, alertRuleId or both (both: either matches).
   */
  alertRule?: string;
  /**
   * The alert rule's ARM id (essentials.alertRuleID), compared case-insensitively.
   */
  alertRuleId?: string;
  /**
   * The plan of DRILL_PLANS the alert starts: a fleet plan for a Service Health alert (its scope and templates; every drill restores from the secondary region), a single or fleet plan for a backup or resource alert (the plan's request, or the template for the instance, with the alerted instance). A plan with enabled false still answers alerts: enabled only stops its schedule.
   */
  plan: string;
  /**
   * The monitor conditions (essentials.monitorCondition) that start drills; other conditions are ignored. Default: Fired only. A Service Health alert is always Fired: its condition is Resolved when alertContext.properties.stage (or alertContext.status) is Resolved.
   *
   * @minItems 1
   */
  conditions?: ['Fired' | 'Resolved', ...('Fired' | 'Resolved')[]];
  /**
   * Service Health alerts only: the event types (alertContext.properties.incidentType) that start drills; others are ignored. Absent: Incident only (no schema default, so that its presence marks a Service Health trigger) (planned maintenance and advisories are no disaster). Setting it also marks the trigger as a Service Health trigger: its plan is checked for a cross-region template when plans are loaded.
   *
   * @minItems 1
   */
  incidentTypes?: [
    'Incident' | 'Maintenance' | 'Informational' | 'ActionRequired' | 'Security',
    ...('Incident' | 'Maintenance' | 'Informational' | 'ActionRequired' | 'Security')[],
  ];
}
