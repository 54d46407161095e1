/** Every function of the app, in one list (see definitions.ts). */
import type { FunctionDefinition } from './definitions';
import { healthFunction } from './health';

export const functionDefinitions: readonly FunctionDefinition[] = [healthFunction];
