/**
 * A function definition is what both runtimes need: Azure Functions registers it through @azure/functions
 * (src/index.ts), and the standalone host serves the very same handler. No handler knows which runtime runs it.
 */
import type { HttpFunctionOptions } from '@azure/functions';

export interface HttpFunctionDefinition {
  kind: 'http';
  name: string;
  options: HttpFunctionOptions;
}

export type FunctionDefinition = HttpFunctionDefinition;
