// Types of scripts/ensure-postgres.mjs, for the tests that import it.
export declare const SERVER_TOOLS: string[];
export declare const CLIENT_TOOLS: string[];
export declare const APT_PACKAGES: string[];
export declare const INSTALL_COMMAND: string;
export type Decision =
  { action: 'ok' } | { action: 'install'; packages: string[] } | { action: 'stop'; message: string };
export declare function decide(facts: { missing: string[]; isRoot: boolean; hasAptGet: boolean }): Decision;
export declare function stopMessage(missing: string[], hasAptGet: boolean): string;
export declare function searchDirs(env: NodeJS.ProcessEnv): string[];
export declare function missingTools(env: NodeJS.ProcessEnv): string[];
