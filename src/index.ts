/**
 * Entry point for the Azure Functions host (package.json "main"): registers every function definition. The
 * standalone host (src/host) serves the same definitions without Core Tools.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { functionDefinitions } from './functions';

app.setup({ enableHttpStream: false });

for (const def of functionDefinitions) {
  switch (def.kind) {
    case 'http':
      app.http(def.name, def.options);
      break;
    case 'queue':
      app.storageQueue(def.name, def.options);
      break;
    case 'timer':
      app.timer(def.name, def.options);
      break;
    case 'orchestration':
      df.app.orchestration(def.name, def.handler);
      break;
    case 'activity':
      df.app.activity(def.name, {
        handler: def.handler,
        ...(def.extraInputs ? { extraInputs: def.extraInputs } : {}),
      });
      break;
  }
}
