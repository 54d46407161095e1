import { describe, expect, it } from 'vitest';
import {
  DataProtectionError,
  errorDataFromArmError,
  errorDataFromJobErrorDetails,
  errorDataFromResponse,
  isUserErrorCode,
} from '../../src/lib/dataprotection/errors';
import { headers, seedFixture } from '../support/fixtures';

describe('Data Protection error mapping', () => {
  it("maps the seed's UserErrorRestoreToLowerVersion CloudError with its text intact and request ids", () => {
    const op = seedFixture('operation-failed-lower-version.json');
    const data = errorDataFromResponse(
      { error: op.error },
      {
        status: 400,
        headers: headers({ 'x-ms-request-id': 'req-1', 'x-ms-correlation-request-id': 'corr-1' }),
      },
    );
    expect(data).toMatchObject({
      code: 'UserErrorRestoreToLowerVersion',
      message: 'Restoring backups of a higher PostgreSQL version to a lower version is not supported.',
      recommendedActions: [
        'Restore to the same or a higher PostgreSQL version from which the backup was taken.',
      ],
      isRetryable: false,
      isUserError: true, // by its UserError code, although the service's own field says false
      httpStatus: 400,
      requestId: 'req-1',
      correlationRequestId: 'corr-1',
    });
    const err = new DataProtectionError(data);
    expect(err.message).toContain('UserErrorRestoreToLowerVersion');
    expect(err.message).toContain('Recommended action: Restore to the same or a higher PostgreSQL version');
    // Survives the trip through JSON (activity -> orchestrator) with its code.
    const roundTrip = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
    expect(roundTrip.code).toBe('UserErrorRestoreToLowerVersion');
    expect(roundTrip.recommendedActions).toEqual(data.recommendedActions);
  });

  it('user errors are classified by code, not by the isUserError field the service may omit or get wrong', () => {
    const withInfo = (code: string, info: Record<string, unknown>) =>
      errorDataFromArmError({
        code,
        message: 'm',
        additionalInfo: [{ type: 'UserFacingError', info: { code, message: 'm', ...info } }],
      });
    // The field wrong, the field missing, the code in a plain ARM error, in job errorDetails: all user errors.
    expect(withInfo('UserErrorRestoreToLowerVersion', { isUserError: false }).isUserError).toBe(true);
    expect(withInfo('UserErrorDBNotFound', {}).isUserError).toBe(true);
    expect(errorDataFromArmError({ code: 'UserErrorInvalidSecret', message: 'm' }).isUserError).toBe(true);
    expect(
      errorDataFromJobErrorDetails([{ code: 'UserErrorMSIMissingPermissions', isUserError: false }])
        .isUserError,
    ).toBe(true);
    // Codes that are user errors without the prefix.
    expect(withInfo('PostgreSQLFlexOperationFailedUserError', { isUserError: false }).isUserError).toBe(true);
    // A code that says nothing: the service's field, else not a user error.
    expect(withInfo('ServiceUnavailableInternal', { isUserError: true }).isUserError).toBe(true);
    expect(withInfo('ServiceUnavailableInternal', {}).isUserError).toBe(false);
    expect(isUserErrorCode('InternalError')).toBeUndefined();
    expect(isUserErrorCode('usererrorDbNotFound')).toBe(true);
  });

  it('a plain ARM error without UserFacingError keeps code and message; 5xx and 429 are retryable', () => {
    expect(
      errorDataFromArmError({ code: 'ResourceNotFound', message: 'nope' }, { status: 404 }),
    ).toMatchObject({
      code: 'ResourceNotFound',
      isRetryable: false,
      isUserError: false,
    });
    expect(errorDataFromArmError({ code: 'ServerBusy', message: 'busy' }, { status: 503 }).isRetryable).toBe(
      true,
    );
    expect(
      errorDataFromArmError({ code: 'TooManyRequests', message: 'slow down' }, { status: 429 }).isRetryable,
    ).toBe(true);
  });

  it('a non-JSON error body (gateway page) still produces a code and a message', () => {
    expect(errorDataFromResponse('<html>Bad Gateway</html>', { status: 502 })).toMatchObject({
      code: 'HttpStatus502',
      message: '<html>Bad Gateway</html>',
      isRetryable: true,
    });
    expect(errorDataFromResponse(undefined, { status: 404 }).message).toMatch(
      /HTTP 404 without an error body/,
    );
  });

  it('job errorDetails: the first is the cause, later recommended actions are added', () => {
    const data = errorDataFromJobErrorDetails([
      {
        code: 'UserErrorDBUserAuthFailed',
        message: 'The credentials in the Key Vault secret could not log in.',
        recommendedAction: ['Check the user name and password stored in the secret.'],
        isRetryable: false,
        isUserError: true,
      },
      { code: 'Other', recommendedAction: ['Retry the restore.'] },
    ]);
    expect(data).toMatchObject({
      code: 'UserErrorDBUserAuthFailed',
      isUserError: true,
      recommendedActions: ['Check the user name and password stored in the secret.', 'Retry the restore.'],
    });
    expect(errorDataFromJobErrorDetails([]).code).toBe('JobFailedWithoutDetails');
    expect(errorDataFromJobErrorDetails(null).code).toBe('JobFailedWithoutDetails');
  });
});
