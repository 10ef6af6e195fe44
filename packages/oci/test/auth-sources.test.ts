import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { redact, run } from '@polyship/core'
import { authFileLocations, findCredential, nodeDeps, parseAuthKey, RegistryClient } from '@polyship/oci'
import {
  pushTestImage,
  startRegistry,
  startTokenIssuer,
  type TestRegistry,
  type TokenIssuer,
} from '@polyship/oci/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failure, tempDir } from './helpers.ts'

// Every source of registry credentials users already keep, each against a real registry
// (distribution with token auth) and the loopback token issuer, which records the user it saw.
const PASSWORD = 'Sources-Password-4471-xyz'
const USERS = [
  'docker-user',
  'podman-user',
  'podman-config-user',
  'helm-user',
  'file-user',
  'helper-user',
  'store-user',
  'auths-user',
  'team-user',
  'app-user',
]
/** Only the helm login test uses it, so only that test's lookup can have registered it. */
const HELM_PASSWORD = 'Helm-Login-Secret-9931-qrs'
const work = tempDir('auth-sources')

function basic(user: string, password = PASSWORD): string {
  return Buffer.from(`${user}:${password}`).toString('base64')
}

async function writeJson(file: string, content: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content))
}

let counter = 0
/** An empty home directory of its own, and an env holding PATH only. */
function isolated(): { home: string; env: Record<string, string | undefined> } {
  counter += 1
  return { home: join(work(), `home-${counter}`), env: { PATH: process.env.PATH } }
}

describe('credential sources (real registry, fake loopback token issuer)', () => {
  let issuer: TokenIssuer
  let registry: TestRegistry
  let host = ''
  beforeAll(async () => {
    issuer = await startTokenIssuer({
      users: { ...Object.fromEntries(USERS.map((u) => [u, PASSWORD])), 'helm-login': HELM_PASSWORD },
    })
    registry = await startRegistry({ auth: { type: 'token', issuer } })
    host = registry.host
    const client = new RegistryClient({
      credentials: { [host]: { username: 'docker-user', password: PASSWORD } },
    })
    for (const repository of ['team/app', 'other/app']) {
      await pushTestImage(client.repository(`${host}/${repository}`), {
        seed: repository,
        tag: 'v1',
        platforms: [{ os: 'linux', architecture: 'amd64' }],
      })
    }
    client.close()
  })
  afterAll(async () => {
    await registry.stop()
    await issuer.stop()
  })

  /** Resolves `repository:v1` with `env` and `home`; returns the user the token issuer saw. */
  const userSeen = async (
    env: Record<string, string | undefined>,
    home: string,
    repository = 'team/app',
  ): Promise<string | undefined> => {
    const client = new RegistryClient({ deps: { env, homedir: () => home } })
    try {
      expect(await client.repository(`${host}/${repository}`).resolve('v1')).toBeDefined()
    } finally {
      client.close()
    }
    return issuer.requests.at(-1)?.user
  }

  const sources: {
    name: string
    user: string
    place: (home: string, dir: string) => { file: string; env: Record<string, string> }
  }[] = [
    {
      name: 'REGISTRY_AUTH_FILE',
      user: 'file-user',
      place: (_home, dir) => ({
        file: join(dir, 'a.json'),
        env: { REGISTRY_AUTH_FILE: join(dir, 'a.json') },
      }),
    },
    {
      name: 'DOCKER_CONFIG',
      user: 'docker-user',
      place: (_home, dir) => ({
        file: join(dir, 'docker', 'config.json'),
        env: { DOCKER_CONFIG: join(dir, 'docker') },
      }),
    },
    {
      name: '~/.docker/config.json',
      user: 'docker-user',
      place: (home) => ({ file: join(home, '.docker', 'config.json'), env: {} }),
    },
    {
      name: 'podman $XDG_RUNTIME_DIR/containers/auth.json',
      user: 'podman-user',
      place: (_home, dir) => ({
        file: join(dir, 'run', 'containers', 'auth.json'),
        env: { XDG_RUNTIME_DIR: join(dir, 'run') },
      }),
    },
    {
      name: 'podman ~/.config/containers/auth.json',
      user: 'podman-config-user',
      place: (home) => ({ file: join(home, '.config', 'containers', 'auth.json'), env: {} }),
    },
    {
      name: 'podman $XDG_CONFIG_HOME/containers/auth.json',
      user: 'podman-config-user',
      place: (_home, dir) => ({
        file: join(dir, 'xdg', 'containers', 'auth.json'),
        env: { XDG_CONFIG_HOME: join(dir, 'xdg') },
      }),
    },
    {
      name: 'HELM_REGISTRY_CONFIG',
      user: 'helm-user',
      place: (_home, dir) => ({
        file: join(dir, 'h.json'),
        env: { HELM_REGISTRY_CONFIG: join(dir, 'h.json') },
      }),
    },
    {
      name: '~/.config/helm/registry/config.json',
      user: 'helm-user',
      place: (home) => ({ file: join(home, '.config', 'helm', 'registry', 'config.json'), env: {} }),
    },
    {
      name: '$HELM_CONFIG_HOME/registry/config.json',
      user: 'helm-user',
      place: (_home, dir) => ({
        file: join(dir, 'helmhome', 'registry', 'config.json'),
        env: { HELM_CONFIG_HOME: join(dir, 'helmhome') },
      }),
    },
  ]

  it.each(sources)('reads $name alone', async ({ user, place }) => {
    const { home, env } = isolated()
    const { file, env: extra } = place(home, `${home}-dir`)
    await writeJson(file, { auths: { [host]: { auth: basic(user) } } })
    expect(await userSeen({ ...env, ...extra }, home)).toBe(user)
    const lookup = await findCredential(
      host,
      {},
      { ...nodeDeps, env: { ...env, ...extra }, homedir: () => home },
    )
    expect(lookup.credential?.source).toContain(file)
  })

  it('prefers REGISTRY_AUTH_FILE, then docker, then podman (runtime, then config), then helm', async () => {
    const { home, env } = isolated()
    const dir = `${home}-dir`
    const all = {
      ...env,
      REGISTRY_AUTH_FILE: join(dir, 'override.json'),
      DOCKER_CONFIG: join(dir, 'docker'),
      XDG_RUNTIME_DIR: join(dir, 'run'),
      HELM_REGISTRY_CONFIG: join(dir, 'helm.json'),
    }
    const entry = (user: string) => ({ auths: { [host]: { auth: basic(user) } } })
    await writeJson(all.REGISTRY_AUTH_FILE, entry('file-user'))
    await writeJson(join(all.DOCKER_CONFIG, 'config.json'), entry('docker-user'))
    await writeJson(join(all.XDG_RUNTIME_DIR, 'containers', 'auth.json'), entry('podman-user'))
    await writeJson(join(home, '.config', 'containers', 'auth.json'), entry('podman-config-user'))
    await writeJson(all.HELM_REGISTRY_CONFIG, entry('helm-user'))

    expect(await userSeen(all, home)).toBe('file-user')
    // a file without an entry for the host is passed over, not an end to the search
    await writeJson(all.REGISTRY_AUTH_FILE, { auths: { 'elsewhere.example': { auth: basic('x') } } })
    expect(await userSeen(all, home)).toBe('docker-user')
    await writeJson(join(all.DOCKER_CONFIG, 'config.json'), { auths: {} })
    expect(await userSeen(all, home)).toBe('podman-user')
    await writeJson(join(all.XDG_RUNTIME_DIR, 'containers', 'auth.json'), {})
    expect(await userSeen(all, home)).toBe('podman-config-user')
    await writeJson(join(home, '.config', 'containers', 'auth.json'), { auths: {} })
    expect(await userSeen(all, home)).toBe('helm-user')

    const lookup = await findCredential(host, {}, { ...nodeDeps, env: all, homedir: () => home })
    expect(lookup.tried).toEqual([
      `explicit credentials for ${host}`,
      `REGISTRY_AUTH_FILE ${all.REGISTRY_AUTH_FILE} (no auths entry for ${host})`,
      `DOCKER_CONFIG ${join(all.DOCKER_CONFIG, 'config.json')} (no auths entry for ${host})`,
      `podman XDG_RUNTIME_DIR ${join(all.XDG_RUNTIME_DIR, 'containers', 'auth.json')} (no auths entry for ${host})`,
      `podman ${join(home, '.config', 'containers', 'auth.json')} (no auths entry for ${host})`,
      `HELM_REGISTRY_CONFIG ${all.HELM_REGISTRY_CONFIG} (auths."${host}")`,
    ])
  })

  it("follows docker's order in one file: credHelpers[host], then credsStore, then auths", async () => {
    const { home, env } = isolated()
    const bin = join(`${home}-dir`, 'bin')
    await mkdir(bin, { recursive: true })
    const helper = async (name: string, user: string, knows = host): Promise<void> => {
      const file = join(bin, `docker-credential-${name}`)
      await writeFile(
        file,
        `#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "${knows}" ] && printf '{"ServerURL":"%s","Username":"${user}","Secret":"${PASSWORD}"}' "$server" && exit 0\necho "credentials not found in native keychain"; exit 1\n`,
      )
      await chmod(file, 0o755)
    }
    await helper('polyship-host', 'helper-user')
    await helper('polyship-store', 'store-user')
    await helper('polyship-empty', 'nobody', 'other.example')
    const withPath = { ...env, PATH: `${bin}:${process.env.PATH}` }
    const file = join(home, '.docker', 'config.json')
    const auths = { [host]: { auth: basic('auths-user') } }

    await writeJson(file, { auths, credsStore: 'polyship-store', credHelpers: { [host]: 'polyship-host' } })
    expect(await userSeen(withPath, home)).toBe('helper-user')
    await writeJson(file, {
      auths,
      credsStore: 'polyship-store',
      credHelpers: { 'other.example': 'polyship-host' },
    })
    expect(await userSeen(withPath, home)).toBe('store-user')
    // a store that has nothing for this host: the file's own entry
    await writeJson(file, { auths, credsStore: 'polyship-empty' })
    expect(await userSeen(withPath, home)).toBe('auths-user')
    const lookup = await findCredential(host, {}, { ...nodeDeps, env: withPath, homedir: () => home })
    expect(lookup.tried.slice(1, 3)).toEqual([
      `docker-credential-polyship-empty (credsStore in ${file})`,
      `${file} (auths."${host}")`,
    ])
  })

  it("uses podman's namespace keys, the most specific first", async () => {
    const { home, env } = isolated()
    await writeJson(join(home, '.config', 'containers', 'auth.json'), {
      auths: {
        [host]: { auth: basic('podman-config-user') },
        [`${host}/team`]: { auth: basic('team-user') },
        [`${host}/team/app`]: { auth: basic('app-user') },
      },
    })
    expect(await userSeen(env, home, 'team/app')).toBe('app-user')
    expect(await userSeen(env, home, 'other/app')).toBe('podman-config-user')
    const deps = { ...nodeDeps, env, homedir: () => home }
    expect((await findCredential(host, {}, deps, 'team/other')).credential?.username).toBe('team-user')
    // `team` does not cover `teamwork/x`
    expect((await findCredential(host, {}, deps, 'teamwork/x')).credential?.username).toBe(
      'podman-config-user',
    )
  })

  it('refuses an auth file that is not JSON with a coded error naming it, never quoting it', async () => {
    const { home, env } = isolated()
    const file = join(home, '.config', 'containers', 'auth.json')
    // JSON.parse's own message quotes the text near the fault: here, the password
    await writeJson(file, `{"auths": {"${host}": {"username": "u", "password": ${PASSWORD}}}}`)
    const error = await failure(userSeen(env, home))
    expect(error.code).toBe('OCI_CREDENTIALS_INVALID')
    expect(error.message).toContain(file)
    expect(error.message).toContain('not valid JSON')
    expect(error.hint).toContain('podman login')
    const shown = `${error.message}\n${error.hint}\n${error.stack}\n${String(error.cause ?? '')}`
    expect(shown).not.toContain(PASSWORD)
    expect(shown).not.toContain(PASSWORD.slice(0, 8))

    await writeJson(file, { auths: { [host]: 'not-an-object' } })
    const shape = await failure(userSeen(env, home))
    expect(shape.code).toBe('OCI_CREDENTIALS_INVALID')
    expect(shape.message).toContain(`${file}: "auths"`)
  })

  it('reads the file a real `helm registry login` wrote, and hides its password', async () => {
    const { home, env } = isolated()
    const helmConfig = join(`${home}-dir`, 'helm', 'registry.json')
    await run(
      'helm',
      ['registry', 'login', host, '--username', 'helm-login', '--password-stdin', '--plain-http'],
      {
        input: HELM_PASSWORD,
        env: {
          ...env,
          HOME: home,
          HELM_REGISTRY_CONFIG: helmConfig,
          HELM_CONFIG_HOME: join(home, 'helm-config'),
          HELM_CACHE_HOME: join(home, 'helm-cache'),
          DOCKER_CONFIG: join(home, 'unused-docker'),
        },
      },
    )
    const withHelm = { ...env, HELM_REGISTRY_CONFIG: helmConfig }
    const written = await readFile(helmConfig, 'utf8')
    expect(written).toContain(basic('helm-login', HELM_PASSWORD))
    // nothing has read it yet: not yet a known secret
    expect(redact(written)).toContain(basic('helm-login', HELM_PASSWORD))
    expect(await userSeen(withHelm, home)).toBe('helm-login')
    const lookup = await findCredential(host, {}, { ...nodeDeps, env: withHelm, homedir: () => home })
    expect(lookup.credential?.source).toBe(`HELM_REGISTRY_CONFIG ${helmConfig} (auths."${host}")`)
    // found, so registered: hidden from every message from now on
    expect(redact(written)).not.toContain(basic('helm-login', HELM_PASSWORD))
    expect(redact(`the password is ${HELM_PASSWORD}`)).toBe('the password is [redacted]')
  })
})

describe('auth file keys', () => {
  it('normalises schemes, API suffixes, case, ports and Docker Hub aliases; keeps namespaces', () => {
    expect(parseAuthKey('https://index.docker.io/v1/')).toEqual({ host: 'docker.io', namespace: '' })
    expect(parseAuthKey('registry-1.docker.io')).toEqual({ host: 'docker.io', namespace: '' })
    expect(parseAuthKey('docker.io/library/nginx')).toEqual({ host: 'docker.io', namespace: 'library/nginx' })
    expect(parseAuthKey('http://Registry.Example:5000/v2/')).toEqual({
      host: 'registry.example:5000',
      namespace: '',
    })
    expect(parseAuthKey('registry.example:5000/v2/')).toEqual({
      host: 'registry.example:5000',
      namespace: '',
    })
    expect(parseAuthKey('quay.io/team/')).toEqual({ host: 'quay.io', namespace: 'team' })
    // a scheme means docker's reading: the host alone
    expect(parseAuthKey('https://quay.io/team')).toEqual({ host: 'quay.io', namespace: '' })
  })

  it('matches host:port exactly and Docker Hub under any name', async () => {
    const { home, env } = isolated()
    const dir = join(`${home}-dir`, 'docker')
    await writeJson(join(dir, 'config.json'), {
      auths: {
        'https://index.docker.io/v1/': { auth: basic('hub-user') },
        'localhost:5000': { auth: basic('five-user') },
        'https://LOCALHOST:6000/v2/': { auth: basic('six-user') },
      },
    })
    const deps = { ...nodeDeps, env: { ...env, DOCKER_CONFIG: dir }, homedir: () => home }
    for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      expect((await findCredential(name, {}, deps)).credential?.username).toBe('hub-user')
    }
    expect((await findCredential('localhost:5000', {}, deps)).credential?.username).toBe('five-user')
    expect((await findCredential('localhost:6000', {}, deps)).credential?.username).toBe('six-user')
    expect((await findCredential('localhost', {}, deps)).credential).toBeUndefined()
    expect((await findCredential('localhost:7000', {}, deps)).credential).toBeUndefined()
  })

  it('lists the auth files in their documented order, each once', () => {
    const home = '/home/u'
    expect(authFileLocations({}, home).map((l) => l.file)).toEqual([
      '/home/u/.docker/config.json',
      '/home/u/.config/containers/auth.json',
      '/home/u/.config/helm/registry/config.json',
    ])
    expect(
      authFileLocations(
        { REGISTRY_AUTH_FILE: '/d/config.json', DOCKER_CONFIG: '/d', XDG_RUNTIME_DIR: '/run/user/1' },
        home,
      ).map((l) => l.label),
    ).toEqual([
      'REGISTRY_AUTH_FILE /d/config.json',
      'podman XDG_RUNTIME_DIR /run/user/1/containers/auth.json',
      'podman /home/u/.config/containers/auth.json',
      'helm /home/u/.config/helm/registry/config.json',
    ])
  })
})
