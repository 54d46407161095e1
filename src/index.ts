/**
 * Entry point for the Azure Functions host (package.json "main"): registers every function definition.
 * The standalone host (src/host) imports functionDefinitions directly instead.
 */
import { app } from '@azure/functions';
import { functionDefinitions } from './functions';

app.setup({ enableHttpStream: false });

for (const def of functionDefinitions) {
  switch (def.kind) {
    case 'http':
      app.http(def.name, def.options);
      break;
  }
}
