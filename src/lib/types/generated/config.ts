/* Generated from schemas/config.schema.json by scripts/gen-types.mjs. Do not edit. */

/**
 * App settings (environment variables) the app reads. One typed schema, validated once at start; the names are the configuration contract of DESIGN.md section 8. Infra must set what this requires and nothing it does not know.
 */
export interface AppConfig {
  /**
   * ARM base URL (origin only). Bearer tokens are sent to this origin and no other.
   */
  DATAPROTECTION_ENDPOINT: string;
  /**
   * Token audience for ARM; the scope requested is AUDIENCE/.default.
   */
  DATAPROTECTION_AUDIENCE: string;
  /**
   * api-version sent on every Data Protection call. 2021-07-01 and later stable versions have the restore shapes used here.
   */
  DATAPROTECTION_API_VERSION: string;
  /**
   * Client id of the user-assigned managed identity, when one is used (read by DefaultAzureCredential).
   */
  AZURE_CLIENT_ID?: string;
}
