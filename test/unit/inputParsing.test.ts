/**
 * Inputs a user controls that reach the activities: the connection string in a Key Vault secret, a container
 * URL, a secret URI. Each refusal names the problem and never quotes the secret's value.
 */
import { describe, expect, it } from 'vitest';
import { keyVaultSecretReader } from '../../src/activities/secrets';
import { parseDrillRequest } from '../../src/lib/drill/request';
import { ValidationError } from '../../src/lib/errors';
import { parseConnectionString } from '../../src/lib/postgres/connection';
import { containerAccess } from '../../src/lib/storage/blobs';

const PW = 'S3cret-value-9';

function refusal(value: string): { code?: string; message: string } {
  try {
    parseConnectionString(value);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('connection strings from Key Vault', () => {
  it('reads the Npgsql format: keys in any case and spelling, quoted values with ; and "', () => {
    expect(
      parseConnectionString(
        `server=db.example;PORT=6432;Database=app;User Id=admin@srv;Password="${PW};x""y";Ssl Mode=Verify Full`,
      ),
    ).toEqual({
      host: 'db.example',
      port: 6432,
      database: 'app',
      user: 'admin@srv',
      password: `${PW};x"y`,
      sslMode: 'verifyfull',
    });
    expect(parseConnectionString(`Host=h;Uid=u;Pwd=${PW}`)).toEqual({ host: 'h', user: 'u', password: PW });
    expect(parseConnectionString(`Data Source=h;Username=u;Password=`)).toEqual({
      host: 'h',
      user: 'u',
      password: '',
    });
  });

  for (const [what, value, reason] of [
    ['a URL', `postgres://admin:${PW}@db.example:5432/app`, 'a part has no "="'],
    ['a bare password', PW, 'a part has no "="'],
    ['no user', `Server=h;Password=${PW}`, 'the "User Id" key is missing'],
    ['no password', 'Server=h;User Id=u', 'the "Password" key is missing'],
    [
      'an unclosed quote',
      `Server=h;User Id=u;Password="${PW}`,
      'the quoted value of "password" is not closed',
    ],
    ['an empty key', `Server=h;=${PW};User Id=u`, 'a key is empty'],
    ['a bad port', `Server=h;Port=80x;User Id=u;Password=${PW}`, '"Port" is not a port number'],
    ['port 0', `Server=h;Port=0;User Id=u;Password=${PW}`, '"Port" is not a port number'],
    ['port 70000', `Server=h;Port=70000;User Id=u;Password=${PW}`, '"Port" is not a port number'],
  ] as const) {
    it(`refuses ${what}, naming why, never quoting the value`, () => {
      const err = refusal(value);
      expect(err.code).toBe('SecretValueInUnsupportedFormat');
      expect(err.message).toBe(
        `the Key Vault secret is not a supported connection string: ${reason}${reason.endsWith('"="') ? ' (expected key=value pairs separated by ";")' : ''}`,
      );
      expect(err.message).not.toContain(PW);
      expect(err.message).not.toContain('admin');
    });
  }
});

describe('restore container URLs', () => {
  const credential = { getToken: () => Promise.reject(new Error('no token in unit tests')) };
  const access = containerAccess({ credential });

  it('refuses a value that is not a URL, naming it', () => {
    expect(() => access('not a url')).toThrow(
      expect.objectContaining({
        code: 'InvalidContainerUrl',
        message: 'container URL not a url is not a URL',
      }),
    );
  });

  it('refuses plain http for a token (a token is sent over HTTPS only), pointing at the emulator setting', () => {
    expect(() => access('http://st.blob.core.windows.net/c')).toThrow(
      expect.objectContaining({
        code: 'InsecureContainerUrl',
        message: expect.stringContaining('RESTORE_STORAGE_CONNECTION_STRING'),
      }),
    );
  });

  it("sends the app's storage token only to Azure Storage blob endpoints, never to a host a request names", () => {
    const asked: string[] = [];
    const recording = {
      getToken: (scopes: string | string[]) => {
        asked.push(String(scopes));
        return Promise.resolve({ token: 'storage-token', expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const open = containerAccess({ credential: recording });
    for (const url of ['https://attacker.example/c', 'https://st1.blob.core.windows.net.attacker.example/c'])
      expect(() => open(url), url).toThrow(
        expect.objectContaining({
          code: 'ContainerHostNotAllowed',
          message: expect.stringContaining('blob.core.windows.net'),
        }),
      );
    expect(asked).toEqual([]);
    for (const url of [
      'https://st1.blob.core.windows.net/c',
      'https://ST1.BLOB.CORE.WINDOWS.NET/c',
      'https://st1.z12.blob.storage.azure.net/c',
      'https://st1.blob.core.usgovcloudapi.net/c',
      'https://st1.blob.core.chinacloudapi.cn/c',
    ])
      expect(open(url).url.toLowerCase()).toBe(url.toLowerCase());
  });

  it('uses the account key only for URLs under the connection string blob endpoint', () => {
    const key = Buffer.alloc(64, 1).toString('base64');
    const withKey = containerAccess({
      credential,
      connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
    });
    expect(withKey('http://127.0.0.1:10000/devstoreaccount1/restores/').url).toBe(
      'http://127.0.0.1:10000/devstoreaccount1/restores',
    );
    // Another endpoint over http gets no key (and no token): refused.
    expect(() => withKey('http://127.0.0.1:10001/devstoreaccount1/restores')).toThrow(
      expect.objectContaining({ code: 'InsecureContainerUrl' }),
    );
    // A prefix of the endpoint is not under it.
    expect(() => withKey('http://127.0.0.1:10000/devstoreaccount1x/restores')).toThrow(
      expect.objectContaining({ code: 'InsecureContainerUrl' }),
    );
  });
});

describe('restore container URLs in a drill request', () => {
  const BI =
    '/subscriptions/f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1/backupInstances/src1-src1-app';
  const withUrl = (containerUrl: string) => ({
    backupInstanceId: BI,
    target: { kind: 'files', containerUrl },
  });
  const refused = (containerUrl: string): ValidationError => {
    try {
      parseDrillRequest(withUrl(containerUrl));
    } catch (err) {
      return err as ValidationError;
    }
    throw new Error(`expected ${containerUrl} to be refused`);
  };

  it('refuses a SAS token (or any query, fragment or user info): it would be copied into reports, doctor evidence and alerts', () => {
    const sig = 'sig=AbCdEf0123456789%2Bsecret';
    for (const url of [
      `https://st1.blob.core.windows.net/drills?sv=2024-08-04&sp=racwdl&${sig}`,
      `https://st1.blob.core.windows.net/drills#${sig}`,
      `https://user:${sig}@st1.blob.core.windows.net/drills`,
    ]) {
      const err = refused(url);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.errors.map((e) => e.pointer)).toEqual(['/target/containerUrl']);
      expect(err.errors[0]!.message).toMatch(/identity/);
      expect(JSON.stringify(err.toJSON()) + err.message).not.toContain(sig);
    }
  });

  it('accepts a plain container URL', () => {
    expect(parseDrillRequest(withUrl('https://st1.blob.core.windows.net/drills')).target).toMatchObject({
      containerUrl: 'https://st1.blob.core.windows.net/drills',
    });
  });
});

describe('Key Vault secret URIs', () => {
  const read = keyVaultSecretReader({
    getToken: () => Promise.reject(new Error('must not be asked for a token')),
  });
  for (const uri of [
    'not a uri',
    'http://kv.vault.azure.net/secrets/name',
    'https://kv.vault.azure.net/keys/name',
    'https://kv.vault.azure.net/secrets/',
    'https://kv.vault.azure.net/secrets/na_me',
    'https://kv.vault.azure.net/secrets/name%2F..%2Fother',
    `https://kv.vault.azure.net/secrets/${'n'.repeat(128)}`,
    'https://kv.vault.azure.net/secrets/name/not-a-version',
    'https://kv.vault.azure.net/secrets/name/0123456789abcdef0123456789abcdef/extra',
    // Not Key Vault: the app's token must not go there.
    'https://attacker.example/secrets/name',
    'https://kv.vault.azure.net.attacker.example/secrets/name',
    'https://kv.vault.azure.net:8443/secrets/name',
    'https://user:pw@kv.vault.azure.net/secrets/name',
    'https://kv.vault.azure.net/secrets/name?x=1',
  ]) {
    it(`refuses ${uri.length > 60 ? `${uri.slice(0, 60)}…` : uri} before any request`, async () => {
      await expect(read(uri)).rejects.toMatchObject({ code: 'InvalidSecretUri', isUserError: true });
    });
  }
});
