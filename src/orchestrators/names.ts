/**
 * Names of orchestrators and activities. They are replay identity: a running instance's history refers to
 * them, so never rename one in place (add a new name and keep the old one until no instance uses it).
 */
export const ORCHESTRATORS = {} as const;
export const ACTIVITIES = {} as const;
