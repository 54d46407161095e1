/* Generated from schemas/monitor-alert.schema.json by scripts/gen-types.mjs. Do not edit. */

/**
 * The part of an Azure Monitor alert in the common alert schema (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema) that event-triggered drills read. Azure adds fields over time, so unknown fields are allowed; the alert context varies by alert type (Service Health: properties.region, properties.impactedServices, properties.trackingId, status, eventSource).
 */
export interface MonitorAlert {
  schemaId: 'azureMonitorCommonAlertSchema';
  data: {
    essentials: {
      alertId: string;
      alertRule: string;
      alertRuleID?: string;
      severity?: string;
      signalType?: string;
      monitorCondition: 'Fired' | 'Resolved';
      monitoringService: string;
      /**
       * @maxItems 1000
       */
      alertTargetIDs: string[];
      configurationItems?: string[];
      firedDateTime?: string;
      resolvedDateTime?: string;
    };
    alertContext?: {} | null;
    customProperties?: {} | null;
  };
}
