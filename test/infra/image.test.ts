/**
 * The Dockerfile agrees with the rest of the repository. No Docker engine runs here, so the image is never built in
 * CI: these checks read the Dockerfile as text and catch, before a deployment does, the mistakes a build or the
 * first start in Azure would show: a PG_BIN_DIR that names a PostgreSQL the image does not install (or not the one
 * the Bicep sets), a base image other than the one infra/ deploys before azd builds ours, build and runtime stages on
 * different Node.js majors, a COPY of a path that is missing or excluded by .dockerignore, and a runtime stage that
 * does not carry the Functions entry point (package.json "main"). Each check is proven by a mutated text that fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bicepAppSettings } from '../support/bindingSettings';

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** The base image infra/ deploys, and the one this Dockerfile must build on (issue 16: Node 22). */
const FUNCTIONS_BASE = 'mcr.microsoft.com/azure-functions/node:4-node22';

interface Instruction {
  op: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Dockerfile instructions by stage: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') start = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s+([\s\S]*)$/.exec(full);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot read "${full}"`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${start}: cannot read FROM "${args}"`);
      stages.push({ image: from[1]!, name: from[2], instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${start}: ${op} before any FROM`);
      stage.instructions.push({ op, args, line: start });
    }
  });
  return stages;
}

/** ENV values of a stage (`KEY=value` pairs; values without spaces, as this Dockerfile writes them). */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of stage.instructions.filter((i) => i.op === 'ENV'))
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env.set(m[1]!, m[2]!);
  return env;
}

interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
  line: number;
}

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)!, line: i.line };
    });
}

/** The Node.js major of an image reference: `node:22-bookworm-slim` and `azure-functions/node:4-node22` give 22. */
function nodeMajor(image: string): number | undefined {
  const [name = '', tag = ''] = image.split(':');
  const m = name.endsWith('azure-functions/node')
    ? /^\d+-node(\d+)/.exec(tag)
    : name === 'node' || name.endsWith('/node')
      ? /^(\d+)/.exec(tag)
      : null;
  return m ? Number(m[1]) : undefined;
}

/** The last stage, the image that runs. */
const runtimeStage = (stages: Stage[]) => stages.at(-1)!;

/** `.dockerignore` patterns as Docker reads them: later lines win, `!` re-includes, a match covers a directory's contents. */
function dockerIgnored(patterns: string, path: string): boolean {
  // Glob to regex, one character at a time: `**` any depth, `*` and `?` within one path segment.
  const toRegex = (pattern: string) => {
    const p = pattern.replace(/^\/+|\/+$/g, '');
    let re = '';
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c === '*' && p[i + 1] === '*') {
        re += '.*';
        i++;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}(/.*)?$`);
  };
  let ignored = false;
  for (const raw of patterns.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (toRegex(negate ? line.slice(1) : line).test(path.replace(/^\.\/|\/$/g, ''))) ignored = !negate;
  }
  return ignored;
}

interface Repo {
  dockerfile: string;
  dockerignore: string;
  functionBicep: string;
  mainBicep: string;
  mainParameters: string;
  packageJson: string;
  exists: (path: string) => boolean;
}

function repo(): Repo {
  return {
    dockerfile: read('Dockerfile'),
    dockerignore: existsSync(join(root, '.dockerignore')) ? read('.dockerignore') : '',
    functionBicep: read('infra/app/function.bicep'),
    mainBicep: read('infra/main.bicep'),
    mainParameters: read('infra/main.parameters.json'),
    packageJson: read('package.json'),
    exists: (p) => existsSync(join(root, p)),
  };
}

// Each check returns the problems it finds (empty: agreed), each naming the file and the fix.

function checkPostgres(r: Repo): string[] {
  const stage = runtimeStage(parseDockerfile(r.dockerfile));
  const installs = [
    ...new Set(
      stage.instructions
        .filter((i) => i.op === 'RUN')
        .flatMap((i) => [...i.args.matchAll(/postgresql-client-(\d+)/g)].map((m) => m[1]!)),
    ),
  ];
  const binDir = envOf(stage).get('PG_BIN_DIR');
  const problems: string[] = [];
  if (installs.length !== 1)
    problems.push(
      `Dockerfile: the runtime stage must install exactly one postgresql-client-N (found ${installs.length})`,
    );
  if (binDir === undefined) problems.push('Dockerfile: the runtime stage sets no ENV PG_BIN_DIR');
  else if (installs.length === 1 && binDir !== `/usr/lib/postgresql/${installs[0]}/bin`)
    problems.push(
      `Dockerfile: PG_BIN_DIR is ${binDir} but the image installs postgresql-client-${installs[0]}: set /usr/lib/postgresql/${installs[0]}/bin`,
    );
  const bicepDir = bicepAppSettings(r.functionBicep).find((s) => s.name === 'PG_BIN_DIR')?.value;
  if (bicepDir === undefined) problems.push('infra/app/function.bicep sets no PG_BIN_DIR app setting');
  else if (binDir !== undefined && bicepDir !== `'${binDir}'`)
    problems.push(
      `infra/app/function.bicep sets PG_BIN_DIR to ${bicepDir}, the Dockerfile to '${binDir}': make them equal`,
    );
  return problems;
}

/** The default of a `${NAME=default}` azd parameter value. */
function azdDefault(value: string): string | undefined {
  return /^\$\{[A-Z0-9_]+=(.*)\}$/.exec(value)?.[1];
}

function checkBaseImage(r: Repo): string[] {
  const stages = parseDockerfile(r.dockerfile);
  const runtime = runtimeStage(stages).image;
  const problems: string[] = [];
  if (runtime !== FUNCTIONS_BASE)
    problems.push(`Dockerfile: the runtime stage is FROM ${runtime}, expected ${FUNCTIONS_BASE}`);
  const bicepDefault = /param appImage string = '([^']*)'/.exec(r.mainBicep)?.[1];
  if (bicepDefault !== runtime)
    problems.push(
      `infra/main.bicep: appImage defaults to ${bicepDefault ?? '(no default)'}, the Dockerfile builds on ${runtime}`,
    );
  const params = JSON.parse(r.mainParameters) as { parameters: Record<string, { value?: unknown }> };
  const value = params.parameters['appImage']?.value;
  const paramDefault = typeof value === 'string' ? azdDefault(value) : undefined;
  if (paramDefault !== runtime)
    problems.push(
      `infra/main.parameters.json: appImage defaults to ${paramDefault ?? '(no ${NAME=default})'}, the Dockerfile builds on ${runtime}`,
    );
  return problems;
}

function checkNodeMajors(r: Repo): string[] {
  const stages = parseDockerfile(r.dockerfile);
  const majors = stages.map((s) => ({ image: s.image, major: nodeMajor(s.image) }));
  const problems = majors
    .filter((m) => m.major === undefined)
    .map((m) => `Dockerfile: FROM ${m.image} names no Node.js major`);
  const distinct = new Set(majors.map((m) => m.major));
  if (distinct.size > 1)
    problems.push(
      `Dockerfile: the stages use different Node.js majors (${majors.map((m) => m.image).join(', ')})`,
    );
  const engines = (JSON.parse(r.packageJson) as { engines?: { node?: string } }).engines?.node ?? '';
  const min = /^>=\s*(\d+)/.exec(engines)?.[1];
  const runtime = nodeMajor(runtimeStage(stages).image);
  if (min === undefined) problems.push(`package.json: engines.node "${engines}" is not ">=N"`);
  else if (runtime !== undefined && runtime < Number(min))
    problems.push(`package.json: engines.node "${engines}" excludes the image's Node.js ${runtime}`);
  return problems;
}

function checkCopySources(r: Repo): string[] {
  const problems: string[] = [];
  for (const stage of parseDockerfile(r.dockerfile))
    for (const copy of copiesOf(stage).filter((c) => c.from === undefined))
      for (const src of copy.sources) {
        if (!r.exists(src))
          problems.push(`Dockerfile line ${copy.line}: COPY ${src}: no such path in the repository`);
        else if (dockerIgnored(r.dockerignore, src))
          problems.push(
            `Dockerfile line ${copy.line}: COPY ${src}: excluded by .dockerignore, so the build cannot see it`,
          );
      }
  return problems;
}

function checkEntryPoint(r: Repo): string[] {
  const stages = parseDockerfile(r.dockerfile);
  const runtime = runtimeStage(stages);
  const workdir = runtime.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
  const build = stages.find((s) => s.name !== undefined && copiesOf(runtime).some((c) => c.from === s.name));
  const buildDir = build?.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
  const main = (JSON.parse(r.packageJson) as { main?: string }).main;
  const problems: string[] = [];
  if (workdir !== '/home/site/wwwroot')
    problems.push(
      `Dockerfile: the runtime WORKDIR is ${workdir ?? '(none)'}, the Functions host reads /home/site/wwwroot`,
    );
  if (!main) return [...problems, 'package.json has no "main" (the Functions entry point)'];
  // What the runtime stage copies from the build stage, as paths relative to the app root.
  const carried = copiesOf(runtime)
    .filter((c) => c.from !== undefined && c.from === build?.name && buildDir !== undefined)
    .flatMap((c) =>
      c.sources.map((s) => {
        const rel = s.startsWith(`${buildDir}/`) ? s.slice(buildDir!.length + 1) : s;
        return c.dest === './' || c.dest === '.' ? rel.split('/').at(-1)! : c.dest.replace(/^\.\//, '');
      }),
    );
  if (!carried.includes('package.json'))
    problems.push('Dockerfile: the runtime stage does not copy package.json');
  const normalized = main.replace(/^\.\//, '');
  if (!carried.some((p) => normalized === p || normalized.startsWith(`${p.replace(/\/$/, '')}/`)))
    problems.push(
      `Dockerfile: the runtime stage copies ${carried.join(', ')}, none of which holds package.json "main" (${main})`,
    );
  return problems;
}

/** The real files with one of them replaced by a mutation. */
function mutated(change: Partial<Repo>): Repo {
  return { ...repo(), ...change };
}
const replaceIn = (text: string, from: string | RegExp, to: string) => {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`the mutation did not apply: ${String(from)} not found`);
  return out;
};

describe('the Dockerfile agrees with package.json and infra/', () => {
  it('parses the Dockerfile into its build and runtime stages', () => {
    const stages = parseDockerfile(repo().dockerfile);
    expect(stages.map((s) => s.image)).toEqual(['node:22-bookworm-slim', FUNCTIONS_BASE]);
    expect(stages[0]!.name).toBe('build');
    expect(envOf(runtimeStage(stages)).get('AzureWebJobsScriptRoot')).toBe('/home/site/wwwroot');
  });

  it('PG_BIN_DIR names the PostgreSQL client the image installs, and the Bicep sets the same', () => {
    expect(checkPostgres(repo())).toEqual([]);
  });

  it('the runtime image is the Node 22 Functions base, the default appImage of main.bicep and main.parameters.json', () => {
    expect(checkBaseImage(repo())).toEqual([]);
  });

  it('the build and runtime stages use the same Node.js major, which package.json engines admits', () => {
    expect(checkNodeMajors(repo())).toEqual([]);
  });

  it('every path COPY reads exists in the repository and is not excluded by .dockerignore', () => {
    expect(checkCopySources(repo())).toEqual([]);
  });

  it('the runtime stage carries package.json and the dist/ path holding its "main" (the Functions entry point)', () => {
    expect(checkEntryPoint(repo())).toEqual([]);
  });
});

describe('each image check fails on the defect it is for', () => {
  const { dockerfile, functionBicep, mainBicep, mainParameters, packageJson } = repo();

  it('PG_BIN_DIR pointing at another major than the installed client', () => {
    const r = mutated({ dockerfile: replaceIn(dockerfile, /postgresql\/\d+\/bin/, 'postgresql/16/bin') });
    expect(checkPostgres(r).join('\n')).toMatch(
      /PG_BIN_DIR is \/usr\/lib\/postgresql\/16\/bin but the image installs/,
    );
  });

  it('a client major changed without PG_BIN_DIR', () => {
    const r = mutated({ dockerfile: replaceIn(dockerfile, /postgresql-client-\d+/, 'postgresql-client-16') });
    expect(checkPostgres(r).join('\n')).toMatch(/installs postgresql-client-16/);
  });

  it('the Bicep setting another PG_BIN_DIR than the image', () => {
    const r = mutated({
      functionBicep: replaceIn(
        functionBicep,
        /(name: 'PG_BIN_DIR', value: ')[^']*'/,
        "$1/usr/lib/postgresql/9/bin'",
      ),
    });
    expect(checkPostgres(r).join('\n')).toMatch(
      /function\.bicep sets PG_BIN_DIR to '\/usr\/lib\/postgresql\/9\/bin'/,
    );
  });

  it('no PG_BIN_DIR in the image', () => {
    const r = mutated({ dockerfile: replaceIn(dockerfile, /\s+PG_BIN_DIR=\S+ \\/, '') });
    expect(checkPostgres(r)).toContain('Dockerfile: the runtime stage sets no ENV PG_BIN_DIR');
  });

  it('a runtime image on Node 20', () => {
    const r = mutated({
      dockerfile: replaceIn(
        dockerfile,
        `FROM ${FUNCTIONS_BASE}`,
        'FROM mcr.microsoft.com/azure-functions/node:4-node20',
      ),
    });
    expect(checkBaseImage(r).join('\n')).toMatch(/runtime stage is FROM .*node:4-node20, expected/);
  });

  it("main.bicep's default appImage differing from the Dockerfile's base", () => {
    const r = mutated({
      mainBicep: replaceIn(
        mainBicep,
        /(param appImage string = ')[^']*'/,
        "$1mcr.microsoft.com/azure-functions/node:4-node18'",
      ),
    });
    expect(checkBaseImage(r).join('\n')).toMatch(/main\.bicep: appImage defaults to .*node:4-node18/);
  });

  it("main.parameters.json's default appImage differing from the Dockerfile's base", () => {
    const r = mutated({
      mainParameters: replaceIn(
        mainParameters,
        /(SERVICE_API_IMAGE_NAME=)[^}]*\}/,
        '$1mcr.microsoft.com/azure-functions/node:4-node18}',
      ),
    });
    expect(checkBaseImage(r).join('\n')).toMatch(
      /main\.parameters\.json: appImage defaults to .*node:4-node18/,
    );
  });

  it('a build stage on another Node.js major than the runtime', () => {
    const r = mutated({
      dockerfile: replaceIn(dockerfile, /FROM node:\d+-bookworm-slim/, 'FROM node:20-bookworm-slim'),
    });
    expect(checkNodeMajors(r).join('\n')).toMatch(
      /stages use different Node\.js majors \(node:20-bookworm-slim/,
    );
  });

  it('engines.node excluding the Node.js of the image', () => {
    const r = mutated({ packageJson: replaceIn(packageJson, /"node": "[^"]*"/, '"node": ">=24"') });
    expect(checkNodeMajors(r).join('\n')).toMatch(/engines\.node ">=24" excludes the image's Node\.js 22/);
  });

  it('a COPY of a path that does not exist', () => {
    const r = mutated({
      dockerfile: replaceIn(dockerfile, 'COPY reference ./reference', 'COPY references ./references'),
    });
    expect(checkCopySources(r).join('\n')).toMatch(/COPY references: no such path in the repository/);
  });

  it('a COPY of a path .dockerignore excludes', () => {
    const r = mutated({ dockerignore: `${repo().dockerignore}\nreference\n` });
    expect(checkCopySources(r).join('\n')).toMatch(/COPY reference: excluded by \.dockerignore/);
    // Docker's matching: a pattern covers a directory's contents, `*` stays within one segment, a later `!` re-includes
    expect(dockerIgnored('reference\n', 'reference/dataprotection')).toBe(true);
    expect(dockerIgnored('*.log\n', 'npm.log')).toBe(true);
    expect(dockerIgnored('*.log\n', 'src/npm.log')).toBe(false);
    expect(
      checkCopySources(mutated({ dockerignore: `${repo().dockerignore}\nreference\n!reference\n` })),
    ).toEqual([]);
  });

  it('a runtime stage that does not copy the dist/ path of "main"', () => {
    const r = mutated({
      dockerfile: replaceIn(dockerfile, /COPY --from=build \/src\/dist\/src \.\/dist\/src\n/, ''),
    });
    expect(checkEntryPoint(r).join('\n')).toMatch(
      /none of which holds package\.json "main" \(dist\/src\/index\.js\)/,
    );
  });

  it('a "main" outside what the runtime stage copies', () => {
    const r = mutated({
      packageJson: replaceIn(packageJson, /"main": "[^"]*"/, '"main": "dist/app/index.js"'),
    });
    expect(checkEntryPoint(r).join('\n')).toMatch(/"main" \(dist\/app\/index\.js\)/);
  });

  it('a runtime stage that does not copy package.json', () => {
    const r = mutated({
      dockerfile: replaceIn(
        dockerfile,
        'COPY --from=build /src/package.json /src/host.json ./',
        'COPY --from=build /src/host.json ./',
      ),
    });
    expect(checkEntryPoint(r)).toContain('Dockerfile: the runtime stage does not copy package.json');
  });
});
