/** Every function of the app, in one list (see definitions.ts). */
import type { FunctionDefinition } from './definitions';
import { alertFunction } from './alerts';
import {
  cancelDrillFunction,
  drillEvidenceFunction,
  drillReportFunction,
  drillStatusFunction,
  listDrillsFunction,
  startDrillFunction,
} from './drills';
import { dashboardFunction } from './dashboard';
import { activityDefinitions, orchestrationDefinitions } from './durable';
import { coverageFunction, fleetStatusFunction, startFleetFunction } from './fleets';
import { healthFunction } from './health';
import { planDoctorFunction } from './planDoctor';
import { preflightFunction } from './preflight';
import { drillQueueFunction } from './queue';
import { sweeperFunction } from './sweeper';
import { drillTimerFunction } from './timer';

export const functionDefinitions: readonly FunctionDefinition[] = [
  healthFunction,
  startDrillFunction,
  preflightFunction,
  listDrillsFunction,
  drillStatusFunction,
  cancelDrillFunction,
  drillEvidenceFunction,
  drillReportFunction,
  startFleetFunction,
  fleetStatusFunction,
  coverageFunction,
  planDoctorFunction,
  alertFunction,
  dashboardFunction,
  drillQueueFunction,
  drillTimerFunction,
  sweeperFunction,
  ...orchestrationDefinitions,
  ...activityDefinitions,
];
