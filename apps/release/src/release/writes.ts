import { assertNoSecrets, type Reporter } from '@polyship/core'
import type { OciStore } from '@polyship/oci'
import type { PackageIndex } from '@polyship/wheel'
import type { Env } from './context.ts'

/** Called before every write to a destination, with what is about to be written. */
export type BeforeWrite = (what: string) => void

/** The test hook's variable: see `writeObserver`. */
export const CRASH_AFTER_ENV = 'POLYSHIP_CRASH_AFTER'

/**
 * Numbers every write the publish phase makes (blobs, manifests, referrers, uploads, GitHub
 * calls, git tags, the record) and logs it at debug level (`--debug` prints them).
 *
 * TEST HOOK: with POLYSHIP_CRASH_AFTER=n the process kills itself with SIGKILL right
 * before write n+1, as `kill -9` would, so fault tests crash a release at reproducible
 * points of its publish phase and check that running it again completes it.
 */
export function writeObserver(env: Env, reporter: Reporter): BeforeWrite {
  const limit = env[CRASH_AFTER_ENV]
  const crashAfter = limit === undefined || limit === '' ? undefined : Number(limit)
  if (crashAfter !== undefined && !(Number.isInteger(crashAfter) && crashAfter >= 0))
    throw new Error(`${CRASH_AFTER_ENV}=${limit} is not a number of writes`)
  let count = 0
  return (what) => {
    if (crashAfter !== undefined && count >= crashAfter) process.kill(process.pid, 'SIGKILL')
    count++
    reporter.emit({ type: 'log', level: 'debug', message: `write ${count}: ${what}` })
  }
}

/**
 * The store with every write announced first. The result inherits from `store`, so it stays
 * an instance of the store's class (container mounts blobs between RegistryStores of one
 * registry); every method is bound to the original, whose private fields it uses.
 */
export function observedStore(store: OciStore, before: BeforeWrite): OciStore {
  const methods: Omit<OciStore, 'location'> = {
    hasBlob: (digest) => store.hasBlob(digest),
    pushBlob: (descriptor, source, options) => {
      // image configs (labels) and attestation blobs are built here in memory: check them too
      if (source instanceof Uint8Array && descriptor.mediaType.endsWith('json'))
        assertNoSecrets(source, `the ${descriptor.mediaType} blob for ${store.location}`)
      before(`blob ${descriptor.digest} to ${store.location}`)
      return store.pushBlob(descriptor, source, options)
    },
    fetchBlob: (descriptor) => store.fetchBlob(descriptor),
    putManifest: (content, options) => {
      // annotations are published for good: refuse a credential rather than push it (see redact.ts)
      assertNoSecrets(content.bytes, `the manifest for ${store.location}`)
      before(`manifest${options?.tag ? ` tag ${options.tag}` : ''} to ${store.location}`)
      return store.putManifest(content, options)
    },
    getManifest: (reference) => store.getManifest(reference),
    resolve: (reference) => store.resolve(reference),
    listTags: () => store.listTags(),
    attachReferrer: (content) => {
      assertNoSecrets(content.bytes, `the referrer manifest for ${store.location}`)
      before(`referrer to ${store.location}`)
      return store.attachReferrer(content)
    },
    listReferrers: (subject, artifactType) => store.listReferrers(subject, artifactType),
  }
  return Object.assign(Object.create(store) as OciStore, methods)
}

/** The package index with every upload announced first. */
export function observedIndex(index: PackageIndex, before: BeforeWrite): PackageIndex {
  return {
    url: index.url,
    held: (project, filenames) => index.held(project, filenames),
    ...(index.heldSize === undefined ? {} : { heldSize: (file) => index.heldSize!(file) }),
    add: (distribution) => {
      before(`upload ${distribution.filename} to ${index.url}`)
      return index.add(distribution)
    },
  }
}
