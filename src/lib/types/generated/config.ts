/* Generated from schemas/config.schema.json by scripts/gen-types.mjs (properties with a default are always present). Do not edit. */

/**
 * App settings (environment variables) the app reads. One typed schema, validated once at start; the names are the configuration contract (docs/design.md, "Configuration"). Infra must set what this requires and nothing it does not know. Each setting says how a deployment treats it (x-deployment): required (infra must set it), optional (infra may set it), local (standalone host or local emulators only: infra must not set it). Numbers are given as strings (environment variables) and read as numbers; a setting with a default always has a value after loading.
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
  /**
   * Host storage as a connection string (local development, Azurite: UseDevelopmentStorage=true or a full connection string). In Azure use the identity-based AzureWebJobsStorage__* settings instead.
   */
  AzureWebJobsStorage?: string;
  /**
   * Identity-based host storage: blob endpoint (drill reports are written here).
   */
  AzureWebJobsStorage__blobServiceUri?: string;
  /**
   * Overrides host.json extensions.queues.maxDequeueCount (the Functions override convention): deliveries of a queue message before it goes to the poison queue.
   */
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount?: number;
  /**
   * Overrides host.json extensions.queues.visibilityTimeout (hh:mm:ss): how long a failed queue message waits before it is delivered again.
   */
  AzureFunctionsJobHost__extensions__queues__visibilityTimeout?: string;
  /**
   * Overrides host.json extensions.queues.maxPollingInterval (hh:mm:ss): the longest wait between polls of an empty queue.
   */
  AzureFunctionsJobHost__extensions__queues__maxPollingInterval?: string;
  /**
   * Identity-based host storage: queue endpoint (drill-requests queue).
   */
  AzureWebJobsStorage__queueServiceUri?: string;
  /**
   * Identity-based host storage: table endpoint (drill history table).
   */
  AzureWebJobsStorage__tableServiceUri?: string;
  /**
   * Identity-based host storage: use the managed identity.
   */
  AzureWebJobsStorage__credential?: 'managedidentity';
  /**
   * Identity-based host storage: client id of the user-assigned identity.
   */
  AzureWebJobsStorage__clientId?: string;
  /**
   * Durable task hub name (host.json reads it).
   */
  DURABLE_TASK_HUB_NAME: string;
  /**
   * Table of drill records (and plan skips).
   */
  DRILL_REPORTS_TABLE: string;
  /**
   * Blob container for the JSON and HTML reports.
   */
  DRILL_REPORTS_CONTAINER: string;
  /**
   * Only for local storage emulators (Azurite): a connection string for reading and cleaning restore-as-files containers of that account. In Azure leave it unset: the managed identity is used.
   */
  RESTORE_STORAGE_CONNECTION_STRING?: string;
  /**
   * Directory of pg_restore when it is not on PATH.
   */
  PG_BIN_DIR?: string;
  /**
   * Scheduled drills: a JSON array (schemas/drill-plan.schema.json).
   */
  DRILL_PLANS?: string;
  /**
   * Event-triggered disaster-recovery drills: a JSON array (schemas/alert-triggers.schema.json) mapping an Azure Monitor alert rule (name or ARM id) to the plan of DRILL_PLANS it starts. Alerts arrive at POST /api/alerts (an action group webhook with the common alert schema) or on the drill-requests queue. Unset: no alert starts a drill (alerts are logged and ignored).
   */
  DRILL_ALERT_TRIGGERS?: string;
  /**
   * NCRONTAB of the timer that starts due drill plans.
   */
  DRILL_TIMER_SCHEDULE: string;
  /**
   * First backup job poll interval.
   */
  DRILL_JOB_POLL_INITIAL_SECONDS: number;
  /**
   * Longest backup job poll interval (completion is noticed within it).
   */
  DRILL_JOB_POLL_MAX_SECONDS: number;
  /**
   * First poll interval of an asynchronous operation (validate, restore) whose answer has no Retry-After; each next one doubles. A Retry-After the service sends is honoured instead.
   */
  DRILL_OPERATION_POLL_INITIAL_SECONDS: number;
  /**
   * Longest poll interval of an asynchronous operation without Retry-After (its end is noticed within it).
   */
  DRILL_OPERATION_POLL_MAX_SECONDS: number;
  /**
   * Once a drill's own job poll interval would reach a third of this, it stops polling and waits for its vault's job watcher, which lists the vault's restore jobs once per interval for every drill waiting there (at most 30 s, so completion is noticed within it). 0: every drill polls its own job.
   */
  DRILL_JOB_WATCH_INTERVAL_SECONDS: number;
  /**
   * How long a drill waits for its vault watcher's word before it checks the watcher is alive (and polls its own job when it is not). Each check costs a drill about eight history events: a 10-hour job at 6 h makes three checks in all (the first comes after 3 intervals).
   */
  DRILL_JOB_WATCH_BACKSTOP_SECONDS: number;
  /**
   * First wait before retrying an activity that failed with a retryable error.
   */
  DRILL_RETRY_FIRST_DELAY_SECONDS: number;
  /**
   * Standalone host only: the function key HTTP functions and the durable management URLs require (?code= or x-functions-key). Unset: no key is checked, as with func start. In Azure the platform's function keys apply instead.
   */
  DRILL_FUNCTION_KEY?: string;
  /**
   * Standalone host only: the port it listens on (127.0.0.1).
   */
  DRILL_HOST_PORT: number;
  /**
   * NCRONTAB of the sweeper that retries the cleanup of drills whose cleanup failed.
   */
  DRILL_SWEEP_SCHEDULE: string;
  /**
   * The sweeper retries a failed cleanup once the drill ended this long ago.
   */
  DRILL_SWEEP_AFTER_HOURS: number;
  /**
   * Standalone host only: activities it runs at once (the rest wait their turn). In Azure, host.json and the plan decide.
   */
  DRILL_ACTIVITY_CONCURRENCY: number;
  /**
   * Time zone of timer schedules (an IANA name such as Europe/Paris on Linux plans). The Functions platform reads it in Azure; the standalone host reads it too.
   */
  WEBSITE_TIME_ZONE: string;
  /**
   * Where programs are looked up (the process's own PATH): pg_restore when PG_BIN_DIR is unset. Child processes get this and the PostgreSQL variables they need, nothing else of the app's environment.
   */
  PATH?: string;
  /**
   * Drill servers (host or host:port, comma-separated) that a Key Vault secret naming no Server may be sent to. A secret that names its server is only ever sent to that server, whatever this says.
   */
  DRILL_ALLOWED_SERVERS?: string;
  /**
   * Allow sslMode "require" (TLS without certificate verification) to servers that are not on this machine. Off: such connections are verified (verify-full) against the system CA bundle.
   */
  DRILL_ALLOW_UNVERIFIED_TLS: boolean;
  /**
   * CA bundle (PEM file) pg_restore verifies servers against (PGSSLROOTCERT). Unset: the system bundle (/etc/ssl/certs/ca-certificates.crt or /etc/pki/tls/certs/ca-bundle.crt).
   */
  PG_SSL_ROOT_CERT?: string;
  /**
   * Time limit of one request to ARM (each retry has its own); an activity also stops at its drill's deadline.
   */
  DATAPROTECTION_TIMEOUT_SECONDS: number;
  /**
   * ARM reads (GET) the app sends per subscription per second at most, shared by every drill and fleet and by every instance using the same storage account (the budget lives in DRILL_ARM_BUDGET_TABLE; bursts of 5 seconds' worth). ARM refills a subscription's reads at about 25/s.
   */
  DRILL_ARM_READS_PER_SECOND: number;
  /**
   * ARM writes (POST validateRestore / restore) the app sends per subscription per second at most, shared like the reads (bursts of 5 seconds' worth). ARM refills writes at about 10/s.
   */
  DRILL_ARM_WRITES_PER_SECOND: number;
  /**
   * Drills that started longer ago than this leave the history (table rows and report blobs), at the sweeper's schedule; a drill whose cleanup is still owed stays. 400 keeps a year and a month for annual audits; 0 keeps everything.
   */
  DRILL_HISTORY_RETENTION_DAYS: number;
  /**
   * Table (in the app's storage account) holding the ARM budget every process and instance shares: one token bucket per subscription and kind. If it cannot be reached, each process keeps to the rates on its own until it can.
   */
  DRILL_ARM_BUDGET_TABLE: string;
  /**
   * How long a restore trigger whose earlier attempt may still be in flight (a crash, a lost answer) waits before it looks for that restore again and, only if none appeared, posts a new one.
   */
  DRILL_RESTORE_SETTLE_SECONDS: number;
  /**
   * Standalone host only: the key of the Durable management API (/durabletask, /runtime/webhooks/durabletask), distinct from the function key, as Azure has a system key. Unset while DRILL_FUNCTION_KEY is set: a random one per process (the app's own client is handed it).
   */
  DRILL_SYSTEM_KEY?: string;
  /**
   * A backup instance without a passed drill in this many days is overdue: flagged on the dashboard and alerted (overdue) at the sweeper's schedule.
   */
  DRILL_COVERAGE_DAYS: number;
  /**
   * Alerts: a JSON object (schemas/alerts.schema.json): what raises one (on), webhooks (generic, teams, slack; URLs as Key Vault secret URIs) and an Event Grid topic. Unset: no alerts (drills still log their metrics event).
   */
  DRILL_ALERTS?: string;
  /**
   * Application Insights: each finished drill is also sent as a custom event DrillFinished (custom dimensions and measurements) to its ingestion endpoint; with APPLICATIONINSIGHTS_AUTHENTICATION_STRING containing Authorization=AAD, with the app's identity. Unset: the metrics event is only logged.
   */
  APPLICATIONINSIGHTS_CONNECTION_STRING?: string;
  /**
   * Set by the Bicep (ClientId=<identity>;Authorization=AAD): telemetry is sent with a Microsoft Entra token instead of the instrumentation key alone.
   */
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING?: string;
}
