import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { assertNever } from '@polyship/core'
import {
  addPlanned,
  credentialFor,
  type DistTagMove,
  type DistTagWriter,
  type NpmConfig,
  type NpmDestination,
  NpmError,
  type NpmPlan,
  type NpmTarball,
  npmRegistry,
  type ProvenanceSigner,
  planPublish,
  provenanceOf,
  readNpmConfig,
  scopeRegistryFor,
  tarballDirectory,
} from '@polyship/npm'
import type { Reconciliation } from '../publish/outcome.ts'
import type { ReleaseContext } from './context.ts'
import type { ProjectRelease, ReleaseFile } from './release-set.ts'
import type { BeforeWrite } from './writes.ts'

/** Where a release's npm packages go, asked first, published second, dist-tags moved last. */
export interface NpmTarget {
  /** Asks the package's destination what it holds and remembers the plan. */
  reconcile(release: ProjectRelease, file: ReleaseFile): Promise<Reconciliation>
  /** Publishes a reconciled package when it is new, with provenance when it can have one; returns where it lives. */
  publish(file: ReleaseFile, provenance?: ProvenanceSigner): Promise<string>
  /** Moves every planned dist-tag (after every package of the release is published). */
  moveTags(): Promise<DistTagMove[]>
}

type Destination = NpmDestination &
  Partial<DistTagWriter> & {
    /** Settles when the credential was accepted (registries with one). */
    readonly ready?: Promise<unknown>
    /** A registry with no credential: nothing new can be published there. */
    readonly anonymous?: boolean
  }

/**
 * The npm destination of a release: the tarball directory, or a registry, where each
 * package goes to its scope's registry when .npmrc names one (`@scope:registry=`), as
 * `npm publish` does. Credentials come from the workspace's .npmrc, then ~/.npmrc, then
 * NPM_TOKEN / NODE_AUTH_TOKEN; the .npmrc files are read once, on first use.
 */
export function npmTarget(context: ReleaseContext, before: BeforeWrite): NpmTarget {
  const destination = context.destinations.npm
  const root = context.workspace.root
  let config: Promise<NpmConfig> | undefined
  const npmConfig = () => {
    config ??= readNpmConfig({ projectDir: root, home: context.env.HOME ?? homedir(), env: context.env })
    return config
  }
  const clients = new Map<string, Destination>()
  const destinationOf = async (release: ProjectRelease, tarball: NpmTarball): Promise<Destination> => {
    switch (destination.type) {
      case 'directory': {
        const dir = isAbsolute(destination.path) ? destination.path : join(root, destination.path)
        return cached(`dir ${dir}`, () => tarballDirectory(dir))
      }
      case 'registry': {
        const found = await npmConfig()
        const url = scopeRegistryFor(tarball.name, found) ?? destination.url
        const access = release.project.config.npm?.access
        return cached(`${url} ${access ?? ''}`, () => {
          const credential = credentialFor(url, found)
          const registry = npmRegistry({
            url,
            ...(credential === undefined ? {} : { credential }),
            ...(access === undefined ? {} : { access }),
            ...(destination.insecure === undefined ? {} : { insecure: destination.insecure }),
            env: context.env,
            reporter: context.reporter,
          })
          // a refused token stops the run here, during reconciliation, before anything is written
          return credential === undefined
            ? { ...registry, anonymous: true }
            : { ...registry, ready: registry.whoami() }
        })
      }
      default:
        return assertNever(destination, 'npm destination')
    }
  }
  const cached = (key: string, open: () => Destination): Destination => {
    let found = clients.get(key)
    if (found === undefined) {
      found = open()
      clients.set(key, found)
    }
    return found
  }
  const plans = new Map<string, { plan: NpmPlan; destination: Destination; wants: boolean | undefined }>()
  const tarballOf = (file: ReleaseFile): NpmTarball => {
    if (file.tarball === undefined) throw new Error(`${file.name} is not an npm package`)
    return file.tarball
  }

  return {
    async reconcile(release, file) {
      const tarball = tarballOf(file)
      const target = await destinationOf(release, tarball)
      await target.ready
      const lookup = await target.lookup(tarball.name, tarball.version.text)
      const tag = release.project.config.npm?.tag
      const plan = planPublish(tarball, {
        lookup,
        destination: target,
        ...(tag === undefined ? {} : { stableTag: tag }),
      })
      plans.set(file.name, { plan, destination: target, wants: release.project.config.npm?.provenance })
      const { state } = plan
      if (state.status === 'new' && target.anonymous === true) {
        const host = new URL(target.location)
        throw new NpmError(
          'NPM_UNAUTHORIZED',
          `${tarball.name}@${tarball.version.text} would be published to ${target.location}, but no token is configured for it; nothing was published`,
          {
            hint: `add //${host.host}${host.pathname}:_authToken=\${NPM_TOKEN} to the workspace's .npmrc and export NPM_TOKEN (or NODE_AUTH_TOKEN)`,
          },
        )
      }
      switch (state.status) {
        case 'new':
          return { status: 'new', location: state.location }
        case 'unchanged':
          return { status: 'unchanged', location: state.location, digest: file.digest }
        case 'conflict':
          return state
        default:
          return assertNever(state, 'npm state')
      }
    },

    async publish(file, provenance) {
      const planned = plans.get(file.name)
      if (planned === undefined) throw new Error(`${file.name} was published before it was reconciled`)
      const { plan, destination: target, wants } = planned
      const signed =
        plan.state.status !== 'new' || provenance === undefined || wants === false
          ? undefined
          : await provenanceOf(plan, target, provenance)
      if (signed !== undefined && !('attachments' in signed)) {
        if (wants === true)
          throw new NpmError(
            'NPM_PROVENANCE_UNAVAILABLE',
            `${plan.tarball.name}@${plan.tarball.version.text}: polyship.npm.provenance is true, but ${signed.status === 'not-attached' ? signed.reason : 'none was signed'}; nothing of it was published`,
            {
              hint: 'publish from GitHub Actions with signing.mode "keyless" and `id-token: write` to registry.npmjs.org, or drop polyship.npm.provenance',
            },
          )
        // said where the registry keeps provenance (npmjs): others never do
        if (signed.status === 'not-attached' && target.provenance?.accepted === true)
          context.reporter.emit({
            type: 'log',
            level: 'info',
            message: `${plan.tarball.name}@${plan.tarball.version.text}: no npm provenance: ${signed.reason}`,
          })
      }
      if (plan.state.status === 'new')
        before(`npm ${plan.tarball.name}@${plan.tarball.version.text} to ${target.location}`)
      return addPlanned(plan, {
        destination: target,
        reporter: context.reporter,
        ...(signed !== undefined && 'attachments' in signed ? { attachments: signed.attachments } : {}),
      })
    },

    async moveTags() {
      const moved: DistTagMove[] = []
      for (const { plan, destination: target } of plans.values()) {
        if (plan.move === undefined || target.moveDistTag === undefined) continue
        before(`dist-tag ${plan.move.tag} of ${plan.move.name} to ${plan.move.version} on ${target.location}`)
        await target.moveDistTag(plan.move.name, plan.move.tag, plan.move.version)
        moved.push(plan.move)
      }
      return moved
    },
  }
}
