/**
 * Data Protection (Azure Backup vault) client: the operations a restore drill needs, spoken exactly as the
 * swagger in reference/dataprotection says. Responses we rely on are validated against
 * schemas/dataprotection.schema.json; failures become DataProtectionError with Azure's own code and text.
 */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import {
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { AppConfig } from '../config';
import { currentSignal } from '../deadline';
import { ValidationError } from '../errors';
import type {
  BackupInstanceResource,
  BackupJobResource,
  BackupVaultResource,
  CrossRegionRestoreJobRequest,
  CrossRegionRestoreJobsRequest,
  CrossRegionRestoreRequest,
  FetchSecondaryRecoveryPointsRequest,
  Permission,
  RoleAssignment,
  TrackedResource,
  RecoveryPointResource,
  RestoreRequest,
  ValidateRestoreRequest,
} from '../types/generated/dataprotection';
import { assertValid, schemaRef } from '../validation';
import { lastSegment, parseArmId, parseArmScope, parseBackupInstanceId, parseBackupVaultId } from './armId';
import {
  AuthenticationError,
  DataProtectionError,
  errorDataFromResponse,
  type DataProtectionErrorData,
} from './errors';
import {
  createArmPipeline,
  ForeignOriginError,
  isSameOrigin,
  markNotReplayable,
  type RetryOptions,
} from './pipeline';
import { assertCrossRegionApiVersion, type CrossRegion } from './crossRegion';
import { sharedGovernor, type ArmGovernor } from './governor';
import { nextPollState, PollProtocolError, startPollState, type PollState } from './pollState';
import { fieldsNotIn } from './requests';

export type DataProtectionSettings = Pick<
  AppConfig,
  'DATAPROTECTION_ENDPOINT' | 'DATAPROTECTION_AUDIENCE' | 'DATAPROTECTION_API_VERSION'
>;

export interface DataProtectionClientOptions {
  settings: DataProtectionSettings;
  /** Defaults to DefaultAzureCredential (managed identity in Azure, az login on a laptop). */
  credential?: TokenCredential;
  retry?: RetryOptions;
  httpClient?: HttpClient;
  /** Time limit of one request (default 60 s); the activity's deadline applies as well. */
  requestTimeoutMs?: number;
  /**
   * The ARM budget per subscription (default: the process's shared governor at the default rates); false for
   * none (a test that means to meet ARM's throttling).
   */
  governor?: ArmGovernor | false;
}

export interface RecoveryPointFilter {
  /** Only points at or after this time. */
  startDate?: Date;
  /** Only points at or before this time. */
  endDate?: Date;
}

interface RawResponse {
  status: number;
  headers: { get(name: string): string | undefined };
  body: unknown;
}

const MAX_PAGES = 10_000;
/** Pages of a cross-region restore job list read at most: the list is filtered to the drill's time, so it is short. */
export const CRR_JOB_MAX_PAGES = 20;

/**
 * The OData $filter the service expects for recovery points, as az CLI sends it:
 * startDate eq '2021-10-21T00:00:00.0000000Z' and endDate eq '...' (UTC, 7 fractional digits).
 */
export function recoveryPointFilter(filter: RecoveryPointFilter): string | undefined {
  const fmt = (d: Date): string => {
    if (Number.isNaN(d.getTime()))
      throw new ValidationError('recovery point filter', [
        { pointer: '', message: 'date is not a valid time' },
      ]);
    return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
  };
  const parts: string[] = [];
  if (filter.startDate) parts.push(`startDate eq '${fmt(filter.startDate)}'`);
  if (filter.endDate) parts.push(`endDate eq '${fmt(filter.endDate)}'`);
  return parts.length ? parts.join(' and ') : undefined;
}

/**
 * Api-versions of Microsoft.DBforPostgreSQL used to read a source server's tags: the newest stable version of
 * each resource type (Single Server's last one; Flexible Server's GA one, served in every public region).
 */
export const DBFORPOSTGRESQL_API_VERSIONS = { servers: '2017-12-01', flexibleServers: '2022-12-01' } as const;

/** The api-version of the Microsoft.Authorization reads (permissions, role assignments). */
export const AUTHORIZATION_API_VERSION = '2022-04-01';

export class DataProtectionClient {
  readonly endpoint: string;
  readonly audience: string;
  readonly apiVersion: string;
  private readonly pipeline: Pipeline;
  private readonly httpClient: HttpClient;
  private readonly requestTimeoutMs: number;

  constructor(options: DataProtectionClientOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.endpoint = new URL(options.settings.DATAPROTECTION_ENDPOINT).origin;
    this.audience = options.settings.DATAPROTECTION_AUDIENCE.replace(/\/+$/, '');
    this.apiVersion = options.settings.DATAPROTECTION_API_VERSION;
    const built = createArmPipeline({
      endpoint: this.endpoint,
      audience: this.audience,
      credential: options.credential ?? new DefaultAzureCredential(),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
      ...(options.governor !== false ? { governor: options.governor ?? sharedGovernor() } : {}),
    });
    this.pipeline = built.pipeline;
    this.httpClient = built.httpClient;
  }

  // ---- reads ----

  async getBackupVault(vaultId: string): Promise<BackupVaultResource> {
    const vault = parseBackupVaultId(vaultId);
    const res = await this.send('GET', this.url(vault.id));
    return this.parse<BackupVaultResource>(res, 'BackupVaultResource', 'backup vault');
  }

  /**
   * The backup vaults of a subscription, or of one resource group in it (BackupVaults_GetInSubscription,
   * BackupVaults_GetInResourceGroup), every page.
   */
  async *listBackupVaults(where: {
    subscriptionId: string;
    resourceGroup?: string;
  }): AsyncGenerator<BackupVaultResource> {
    const scope = `/subscriptions/${where.subscriptionId}${where.resourceGroup ? `/resourceGroups/${where.resourceGroup}` : ''}`;
    yield* this.pages<BackupVaultResource>(
      this.url(`${scope}/providers/Microsoft.DataProtection/backupVaults`),
      'BackupVaultResourceList',
      'backup vault list',
    );
  }

  /**
   * A PostgreSQL server's ARM resource (for its tags): Microsoft.DBforPostgreSQL/servers or flexibleServers, read
   * with that provider's own api-version (DBFORPOSTGRESQL_API_VERSIONS), not the Data Protection one.
   */
  async getServerResource(serverId: string): Promise<TrackedResource> {
    const parsed = parseArmId(serverId, 'server id');
    const type = parsed.segments[0]?.type.toLowerCase();
    const apiVersion =
      type === 'flexibleservers'
        ? DBFORPOSTGRESQL_API_VERSIONS.flexibleServers
        : DBFORPOSTGRESQL_API_VERSIONS.servers;
    const res = await this.send('GET', this.url(parsed.id, {}, apiVersion));
    return this.parse<TrackedResource>(res, 'TrackedResource', 'server');
  }

  /**
   * The caller's effective actions at a scope (Microsoft.Authorization Permissions - List For Resource), every
   * page: what the pre-flight doctor compares with the actions a drill calls.
   */
  async *listPermissions(scope: string): AsyncGenerator<Permission> {
    const id = parseArmScope(scope);
    yield* this.pages<Permission>(
      this.url(`${id}/providers/Microsoft.Authorization/permissions`, {}, AUTHORIZATION_API_VERSION),
      'PermissionListResult',
      'permission list',
    );
  }

  /**
   * Role assignments that apply at a scope, at it or above ($filter=atScope(); Role Assignments - List For
   * Scope), every page.
   */
  async *listRoleAssignments(scope: string): AsyncGenerator<RoleAssignment> {
    const id = parseArmId(scope, 'scope').id;
    yield* this.pages<RoleAssignment>(
      this.url(
        `${id}/providers/Microsoft.Authorization/roleAssignments`,
        { $filter: 'atScope()' },
        AUTHORIZATION_API_VERSION,
      ),
      'RoleAssignmentListResult',
      'role assignment list',
    );
  }

  async *listBackupInstances(vaultId: string): AsyncGenerator<BackupInstanceResource> {
    const vault = parseBackupVaultId(vaultId);
    yield* this.pages<BackupInstanceResource>(
      this.url(`${vault.id}/backupInstances`),
      'BackupInstanceResourceList',
      'backup instance list',
    );
  }

  async getBackupInstance(backupInstanceId: string): Promise<BackupInstanceResource> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const res = await this.send('GET', this.url(bi.id));
    return this.parse<BackupInstanceResource>(res, 'BackupInstanceResource', 'backup instance');
  }

  async *listRecoveryPoints(
    backupInstanceId: string,
    filter: RecoveryPointFilter = {},
  ): AsyncGenerator<RecoveryPointResource> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const odata = recoveryPointFilter(filter);
    const url = this.url(`${bi.id}/recoveryPoints`, odata ? { $filter: odata } : {});
    yield* this.pages<RecoveryPointResource>(url, 'RecoveryPointResourceList', 'recovery point list');
  }

  async getRecoveryPoint(backupInstanceId: string, recoveryPointId: string): Promise<RecoveryPointResource> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const res = await this.send(
      'GET',
      this.url(`${bi.id}/recoveryPoints/${encodeURIComponent(recoveryPointId)}`),
    );
    return this.parse<RecoveryPointResource>(res, 'RecoveryPointResource', 'recovery point');
  }

  async getJob(vaultId: string, jobId: string): Promise<BackupJobResource> {
    const vault = parseBackupVaultId(vaultId);
    const res = await this.send(
      'GET',
      this.url(`${vault.id}/backupJobs/${encodeURIComponent(lastSegment(jobId))}`),
    );
    return this.parse<BackupJobResource>(res, 'BackupJobResource', 'backup job');
  }

  async *listJobs(vaultId: string): AsyncGenerator<BackupJobResource> {
    const vault = parseBackupVaultId(vaultId);
    yield* this.pages<BackupJobResource>(
      this.url(`${vault.id}/backupJobs`),
      'BackupJobResourceList',
      'backup job list',
    );
  }

  // ---- cross-region restore (location-scoped, in the secondary region: RECORDINGS.md sections 3 and 6) ----

  /**
   * The backup instance's recovery points as replicated to the paired region (FetchSecondaryRecoveryPoints_List),
   * every page, with the same optional $filter as listRecoveryPoints. They carry the primary vault's ids.
   */
  async *listSecondaryRecoveryPoints(
    backupInstanceId: string,
    regions: CrossRegion,
    filter: RecoveryPointFilter = {},
  ): AsyncGenerator<RecoveryPointResource> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const odata = recoveryPointFilter(filter);
    const body = this.crossRegionBody<FetchSecondaryRecoveryPointsRequest>(
      'FetchSecondaryRecoveryPointsRequest',
      { sourceBackupInstanceId: bi.id, sourceRegion: regions.sourceRegion },
      'secondary recovery points request',
    );
    yield* this.pages<RecoveryPointResource>(
      this.url(
        `${this.secondaryScope(bi.vaultId, regions)}/fetchSecondaryRecoveryPoints`,
        odata ? { $filter: odata } : {},
      ),
      'RecoveryPointResourceList',
      'secondary recovery point list',
      body,
    );
  }

  /** POST validateCrossRegionRestore in the paired region; returns the poll state. */
  async validateCrossRegionRestore(
    backupInstanceId: string,
    regions: CrossRegion,
    restoreRequest: RestoreRequest,
  ): Promise<PollState> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const res = await this.send(
      'POST',
      this.url(`${this.secondaryScope(bi.vaultId, regions)}/validateCrossRegionRestore`),
      { body: this.crossRegionRestoreBody(bi.id, regions, restoreRequest), accept: [200, 202] },
    );
    return this.start('validateCrossRegionRestore', res);
  }

  /** POST crossRegionRestore in the paired region. Not replayed by the pipeline after a network error or 5xx. */
  async triggerCrossRegionRestore(
    backupInstanceId: string,
    regions: CrossRegion,
    restoreRequest: RestoreRequest,
  ): Promise<PollState> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const res = await this.send(
      'POST',
      this.url(`${this.secondaryScope(bi.vaultId, regions)}/crossRegionRestore`),
      {
        body: this.crossRegionRestoreBody(bi.id, regions, restoreRequest),
        accept: [200, 202],
        notReplayable: true,
      },
    );
    return this.start('crossRegionRestore', res);
  }

  /** A cross-region restore job (FetchCrossRegionRestoreJob_Get): it is not in the vault's own job list. */
  async getCrossRegionRestoreJob(
    vaultId: string,
    regions: CrossRegion,
    jobId: string,
  ): Promise<BackupJobResource> {
    const vault = parseBackupVaultId(vaultId);
    const body = this.crossRegionBody<CrossRegionRestoreJobRequest>(
      'CrossRegionRestoreJobRequest',
      { jobId: lastSegment(jobId), sourceBackupVaultId: vault.id, sourceRegion: regions.sourceRegion },
      'cross-region restore job request',
    );
    const res = await this.send(
      'POST',
      this.url(`${this.secondaryScope(vault.id, regions)}/fetchCrossRegionRestoreJob`),
      { body },
    );
    return this.parse<BackupJobResource>(res, 'BackupJobResource', 'cross-region restore job');
  }

  /**
   * The vault's cross-region restore jobs (FetchCrossRegionRestoreJobs_List), started at or after `since`, at
   * most CRR_JOB_MAX_PAGES pages. The swagger documents $filter only as "OData filter options"; the clause sent
   * is the one the Azure Backup job lists take (startTime ge '<time>'). A service may ignore it, so callers
   * filter by start time themselves too; a list longer than the cap throws rather than being read silently
   * in part (a job missed there could be posted twice).
   */
  async *listCrossRegionRestoreJobs(
    vaultId: string,
    regions: CrossRegion,
    since?: Date,
  ): AsyncGenerator<BackupJobResource> {
    const vault = parseBackupVaultId(vaultId);
    const body = this.crossRegionBody<CrossRegionRestoreJobsRequest>(
      'CrossRegionRestoreJobsRequest',
      { sourceBackupVaultId: vault.id, sourceRegion: regions.sourceRegion },
      'cross-region restore jobs request',
    );
    const query: Record<string, string> = since ? { $filter: `startTime ge '${since.toISOString()}'` } : {};
    yield* this.pages<BackupJobResource>(
      this.url(`${this.secondaryScope(vault.id, regions)}/fetchCrossRegionRestoreJobs`, query),
      'BackupJobResourceList',
      'cross-region restore job list',
      body,
      CRR_JOB_MAX_PAGES,
    );
  }

  // ---- long-running operations ----

  /** POST validateRestore; returns the poll state (already terminal when the service answered 200). */
  async validateRestore(backupInstanceId: string, body: ValidateRestoreRequest): Promise<PollState> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const valid = assertValid<ValidateRestoreRequest>(
      schemaRef('dataprotection.schema.json', 'ValidateRestoreRequest'),
      body,
      'validate restore request',
    );
    this.assertFitsApiVersion(
      valid.restoreRequestObject,
      'validate restore request',
      '/restoreRequestObject',
    );
    const res = await this.send('POST', this.url(`${bi.id}/validateRestore`), {
      body: valid,
      accept: [200, 202],
    });
    return this.start('validateRestore', res);
  }

  /** POST restore (the bare request, not wrapped). Not replayed by the pipeline after a network error or 5xx. */
  async triggerRestore(
    backupInstanceId: string,
    body: RestoreRequest,
    options: { auxiliaryToken?: string } = {},
  ): Promise<PollState> {
    const bi = parseBackupInstanceId(backupInstanceId);
    const valid = assertValid<RestoreRequest>(
      schemaRef('dataprotection.schema.json', 'RestoreRequest'),
      body,
      'restore request',
    );
    this.assertFitsApiVersion(valid, 'restore request');
    const headers: Record<string, string> = {};
    // Resource Guard (multi-user authorization) token, when the vault is protected by one.
    if (options.auxiliaryToken) headers['x-ms-authorization-auxiliary'] = `Bearer ${options.auxiliaryToken}`;
    const res = await this.send('POST', this.url(`${bi.id}/restore`), {
      body: valid,
      accept: [200, 202],
      headers,
      notReplayable: true,
    });
    return this.start('restore', res);
  }

  /** One GET of the operation's poll URL; returns the next state. Refuses URLs on a foreign origin. */
  async pollOperation(state: PollState): Promise<PollState> {
    if (state.status !== 'running' || !state.pollUrl) return state;
    this.assertOwnOrigin(state.pollUrl, 'operation poll URL');
    // Poll URLs are used exactly as given: they already carry api-version and may be up to 4 KB.
    const res = await this.send('GET', state.pollUrl, {
      accept: state.pollKind === 'location' ? [200, 202, 204] : [200],
    });
    try {
      return nextPollState(state, res, new Date());
    } catch (err) {
      if (err instanceof PollProtocolError) throw this.protocolError(err.message, res);
      throw err;
    }
  }

  // ---- plumbing ----

  /**
   * The scope of the cross-region operations: the vault's subscription and resource group, the paired region.
   * Refuses an api-version that has none of them, before anything is sent.
   */
  private secondaryScope(vaultId: string, regions: CrossRegion): string {
    assertCrossRegionApiVersion(this.apiVersion);
    const vault = parseBackupVaultId(vaultId);
    return `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection/locations/${regions.targetRegion}`;
  }

  private crossRegionBody<T>(def: string, body: T, what: string): T {
    return assertValid<T>(schemaRef('dataprotection.schema.json', def), body, what);
  }

  /** The body of validateCrossRegionRestore and crossRegionRestore: the restore request as the api-version defines it. */
  private crossRegionRestoreBody(
    backupInstanceId: string,
    regions: CrossRegion,
    restoreRequest: RestoreRequest,
  ): CrossRegionRestoreRequest {
    const body = this.crossRegionBody<CrossRegionRestoreRequest>(
      'CrossRegionRestoreRequest',
      {
        restoreRequestObject: restoreRequest,
        crossRegionRestoreDetails: {
          sourceBackupInstanceId: backupInstanceId,
          sourceRegion: regions.sourceRegion,
        },
      },
      'cross-region restore request',
    );
    this.assertFitsApiVersion(
      body.restoreRequestObject,
      'cross-region restore request',
      '/restoreRequestObject',
    );
    return body;
  }

  private start(operation: string, res: RawResponse): PollState {
    try {
      // A foreign Azure-AsyncOperation gives way to an own-origin Location; neither on ARM's origin: refused.
      const state = startPollState(operation, res, new Date(), (url) => isSameOrigin(url, this.endpoint));
      if (state.pollUrl) this.assertOwnOrigin(state.pollUrl, `${operation} poll URL`);
      return state;
    } catch (err) {
      if (err instanceof PollProtocolError) throw this.protocolError(err.message, res);
      throw err;
    }
  }

  private protocolError(message: string, res: RawResponse): DataProtectionError {
    return new DataProtectionError({
      code: 'UnexpectedResponse',
      message,
      recommendedActions: [],
      isRetryable: false,
      isUserError: false,
      httpStatus: res.status,
      ...(res.headers.get('x-ms-request-id') ? { requestId: res.headers.get('x-ms-request-id')! } : {}),
    });
  }

  /** A body with a field the configured api-version does not define is refused before it is sent. */
  private assertFitsApiVersion(body: RestoreRequest, what: string, at = ''): void {
    const extra = fieldsNotIn(body, this.apiVersion);
    if (extra.length)
      throw new ValidationError(
        what,
        extra.map((p) => ({
          pointer: `${at}${p}`,
          message: `not defined by api-version ${this.apiVersion} (DATAPROTECTION_API_VERSION)`,
        })),
      );
  }

  private assertOwnOrigin(url: string, what: string): void {
    if (!isSameOrigin(url, this.endpoint)) {
      const err = new ForeignOriginError(url, this.endpoint);
      err.message = `${what}: ${err.message}`;
      throw err;
    }
  }

  private url(path: string, query: Record<string, string> = {}, apiVersion = this.apiVersion): string {
    const encodedPath = path
      .split('/')
      .map((seg) => encodeURIComponent(decodeURIComponent(seg)))
      .join('/');
    const params = [`api-version=${encodeURIComponent(apiVersion)}`];
    for (const [k, v] of Object.entries(query)) params.push(`${k}=${encodeURIComponent(v)}`);
    return `${this.endpoint}${encodedPath}?${params.join('&')}`;
  }

  /**
   * Every page of a list. `body`: the list is a POST (the cross-region lists), and every page is posted with it,
   * nextLink included (the recordings show no second page; a POST list's next page is the same operation).
   */
  private async *pages<T>(
    firstUrl: string,
    listDef: string,
    what: string,
    body?: unknown,
    maxPages: number = MAX_PAGES,
  ): AsyncGenerator<T> {
    const seen = new Set<string>();
    let url: string | undefined = firstUrl;
    while (url) {
      if (seen.has(url))
        throw this.protocolError(`${what}: nextLink repeats a page already read (${url}); stopping`, {
          status: 200,
          headers: { get: () => undefined },
          body: null,
        });
      if (seen.size >= maxPages)
        throw this.protocolError(`${what}: more than ${maxPages} pages; stopping`, {
          status: 200,
          headers: { get: () => undefined },
          body: null,
        });
      seen.add(url);
      if (url !== firstUrl) this.assertOwnOrigin(url, `${what} nextLink`);
      const res: RawResponse =
        body !== undefined ? await this.send('POST', url, { body }) : await this.send('GET', url);
      const page = this.parse<{ value: T[]; nextLink?: string | null }>(res, listDef, what);
      yield* page.value;
      // nextLink is a complete URL (api-version, $filter and $skipToken included): GET it unchanged.
      url = page.nextLink || undefined;
    }
  }

  private parse<T>(res: RawResponse, def: string, what: string): T {
    try {
      return assertValid<T>(schemaRef('dataprotection.schema.json', def), res.body, `${what} response`);
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new DataProtectionError({
          code: 'InvalidResponseBody',
          message: `The ${what} response does not have the shape the client relies on: ${err.errors.map((e) => `${e.pointer || '(root)'} ${e.message}`).join('; ')}`,
          recommendedActions: ['Check DATAPROTECTION_API_VERSION and DATAPROTECTION_ENDPOINT.'],
          isRetryable: false,
          isUserError: false,
          httpStatus: res.status,
        });
      }
      throw err;
    }
  }

  private async send(
    method: HttpMethods,
    url: string,
    options: {
      body?: unknown;
      accept?: number[];
      headers?: Record<string, string>;
      notReplayable?: boolean;
    } = {},
  ): Promise<RawResponse> {
    const headers = createHttpHeaders({ accept: 'application/json', ...options.headers });
    if (options.body !== undefined) headers.set('content-type', 'application/json');
    const signal = currentSignal();
    const request = createPipelineRequest({
      url,
      method,
      headers,
      timeout: this.requestTimeoutMs,
      ...(signal ? { abortSignal: signal } : {}),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    if (options.notReplayable) markNotReplayable(request);
    let response;
    try {
      response = await this.pipeline.sendRequest(this.httpClient, request);
    } catch (err) {
      throw this.transportError(err, request.headers.get('x-ms-client-request-id'));
    }
    const text = response.bodyAsText ?? '';
    let body: unknown = undefined;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        if (response.status < 400) {
          throw new DataProtectionError({
            code: 'InvalidResponseBody',
            message: `${method} ${new URL(url).pathname} answered HTTP ${response.status} with a body that is not JSON`,
            recommendedActions: [],
            isRetryable: true,
            isUserError: false,
            httpStatus: response.status,
          });
        }
        body = text;
      }
    }
    const accept = options.accept ?? [200];
    if (accept.includes(response.status)) return { status: response.status, headers: response.headers, body };
    const data = errorDataFromResponse(body, { status: response.status, headers: response.headers });
    if (!data.clientRequestId) {
      const id = request.headers.get('x-ms-client-request-id');
      if (id) data.clientRequestId = id;
    }
    if (response.status === 429 || response.status === 503) {
      const ra = response.headers.get('retry-after');
      if (ra && /^\d+$/.test(ra.trim())) data.retryAfterSeconds = Number(ra.trim());
    }
    if (response.status === 401) throw this.authenticationError(data);
    if (response.status >= 200 && response.status < 300) {
      throw this.protocolError(
        `${method} ${new URL(url).pathname} answered HTTP ${response.status}, which this operation does not define`,
        { status: response.status, headers: response.headers, body },
      );
    }
    throw new DataProtectionError(data);
  }

  private authenticationError(data: DataProtectionErrorData): AuthenticationError {
    return new AuthenticationError({
      ...data,
      message: `${this.endpoint} rejected the access token issued for audience ${this.audience} (scope ${this.audience}/.default): ${data.message}`,
      recommendedActions: [
        `Check that DATAPROTECTION_AUDIENCE (${this.audience}) is the audience ${this.endpoint} expects, and that the identity in use (managed identity / AZURE_CLIENT_ID, or az login) belongs to the right tenant.`,
        ...data.recommendedActions,
      ],
      isRetryable: false,
      isUserError: true,
    });
  }

  private transportError(err: unknown, clientRequestId: string | undefined): Error {
    if (err instanceof ForeignOriginError || err instanceof DataProtectionError) return err;
    // The activity's deadline passed: that, not the network, is what the drill reports.
    const signal = currentSignal();
    if (signal?.aborted && signal.reason instanceof Error) return signal.reason;
    const e = err as { name?: string; message?: string; code?: string };
    // @azure/identity raises CredentialUnavailableError / AuthenticationError when no token can be had.
    if (e.name && /Credential|Authentication/.test(e.name)) {
      return new AuthenticationError({
        code: 'CredentialUnavailable',
        message: `No access token for audience ${this.audience} (scope ${this.audience}/.default): ${e.message ?? String(err)}`,
        recommendedActions: [
          'In Azure, give the app a managed identity (and set AZURE_CLIENT_ID for a user-assigned one); on a laptop, run az login.',
        ],
        isRetryable: false,
        isUserError: true,
        ...(clientRequestId ? { clientRequestId } : {}),
      });
    }
    const code = isRestError(err) && err.code ? err.code : (e.code ?? 'NetworkError');
    const timedOut = e.name === 'AbortError' || /timed? ?out|aborted/i.test(e.message ?? '');
    return new DataProtectionError({
      code: 'NetworkError',
      message: timedOut
        ? `${this.endpoint} did not answer within ${this.requestTimeoutMs / 1000} s (DATAPROTECTION_TIMEOUT_SECONDS)`
        : `Could not reach ${this.endpoint}: ${e.message ?? String(err)} (${code})`,
      recommendedActions: ['Check DATAPROTECTION_ENDPOINT and the network path to it.'],
      isRetryable: true,
      isUserError: false,
      ...(clientRequestId ? { clientRequestId } : {}),
    });
  }
}
