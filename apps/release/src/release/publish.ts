import { readFile } from 'node:fs/promises'
import {
  attestationStore,
  attestFile,
  attestImage,
  type BundleSigner,
  buildSboms,
  FILE_SUFFIXES,
  provenanceStatement,
  type Statement,
} from '@polyship/attest'
import { publishImage } from '@polyship/container'
import { type AttestationRef, type Digest, type RecordedArtifact, sha256 } from '@polyship/core'
import { chartManifest } from '@polyship/helm'
import type { ProvenanceSigner } from '@polyship/npm'
import { descriptorOf, type ManifestContent, type OciStore, versionTag } from '@polyship/oci'
import { isPypi, normalizeName, publishDistributions, type UploadAttester } from '@polyship/wheel'
import { publishedRepository } from './assemble.ts'
import type { ReleaseContext } from './context.ts'
import { ReleaseError } from './errors.ts'
import { publishGpgSignatures, type ReleaseGpg } from './gpg.ts'
import type { Finding } from './reconcile.ts'
import type { ProjectRelease, ReleaseFile, SbomInput } from './release-set.ts'
import type { Targets } from './targets.ts'

export interface PublishServices {
  readonly context: ReleaseContext
  readonly targets: Targets
  readonly signer: BundleSigner
  /** Signs the PEP 740 attestations of uploads to an index that takes them (keyless only). */
  readonly uploadAttester?: UploadAttester
  /** Signs npm provenance for registries that keep it (keyless in GitHub Actions only). */
  readonly npmProvenance?: ProvenanceSigner
  readonly builder: {
    readonly id: string
    readonly invocationId: string
    readonly source: { repository?: string; ref?: string; commit?: string }
  }
  readonly startedOn: Date
  /** GPG signing (polyship.json signing.gpg): `.asc` files beside checksums files and archives. */
  readonly gpg?: ReleaseGpg
}

/** The CycloneDX and SPDX SBOMs, dated by the project's SOURCE_DATE_EPOCH like the artifact they describe. */
function sbomsOf(input: SbomInput, epoch: number) {
  return buildSboms(input.subject, input.components, { epoch })
}

/** The SLSA provenance of one project: every artifact it releases is a subject. */
function projectProvenance(release: ProjectRelease, services: PublishServices): Statement {
  const subjects: { name: string; digest: Digest }[] = release.files.map((f) => ({
    name: f.name,
    digest: f.digest,
  }))
  if (release.image)
    subjects.push({ name: release.image.repository, digest: release.image.built.index.descriptor.digest })
  if (release.chart)
    subjects.push({ name: release.chart.chart.name, digest: release.chart.sbom.subject.digest })
  const { context, builder } = services
  return provenanceStatement({
    subjects,
    project: release.project.name,
    version: release.version,
    source: {
      ...builder.source,
      ...(context.commit ? { commit: context.commit } : {}),
      ...(context.workspace.config.repository ? { repository: context.workspace.config.repository } : {}),
    },
    toolchains: Object.entries(release.toolchains).map(([name, version]) => ({ name, version })),
    baseImages: release.image?.baseImages ?? [],
    builder: {
      id: builder.id,
      invocationId: builder.invocationId,
      startedOn: services.startedOn,
      finishedOn: new Date(),
    },
  })
}

const ATTESTATION_FILES = [
  ['signature', FILE_SUFFIXES.signature],
  ['sbomDocument', FILE_SUFFIXES.sbom],
  ['sbom', FILE_SUFFIXES.sbomAttestation],
  ['spdxDocument', FILE_SUFFIXES.spdx],
  ['spdx', FILE_SUFFIXES.spdxAttestation],
  ['provenance', FILE_SUFFIXES.provenance],
] as const

/**
 * Signs a file and publishes its attestations, then the file itself: content first, so the
 * file's presence means its signature is there. An unchanged file (a re-run) keeps the
 * attestations its destination holds; ones lost to a crash are signed again.
 */
async function publishFile(
  release: ProjectRelease,
  file: ReleaseFile,
  finding: Finding,
  provenance: Statement,
  services: PublishServices,
) {
  const { targets, signer, context } = services
  const wants = ATTESTATION_FILES.filter(
    ([key]) => key === 'signature' || key === 'provenance' || file.sbom !== undefined,
  )
  // Attestations the destination already holds for this same file (a re-run, or a crash
  // between publishing them and the file) are kept; those of a file being replaced are not.
  const held = new Map<string, { location: string; digest: Digest }>()
  if (finding.state.status !== 'conflict') {
    for (const [key, suffix] of wants) {
      const existing = await targets.files.existing(release, `${file.name}${suffix}`)
      if (existing !== undefined) held.set(key, existing)
    }
  }
  if (held.size < wants.length) {
    const sboms = file.sbom ? await sbomsOf(file.sbom, context.stampOf(release.project).epoch) : undefined
    await attestFile(
      {
        path: file.path,
        provenance,
        ...(sboms ? { sbom: sboms.cyclonedx, spdx: sboms.spdx } : {}),
      },
      signer,
    )
    for (const [key, suffix] of wants) {
      if (held.has(key)) continue
      const bundle = { name: `${file.name}${suffix}`, path: `${file.path}${suffix}` }
      held.set(
        key,
        await targets.files.publish(release, { ...bundle, digest: sha256(await readFile(bundle.path)) }),
      )
    }
  }
  // Wheels and sdists go to their index with the project's other distributions (publishWheels),
  // npm packages to their registry (dist-tags are moved once every package is there).
  const location =
    file.tarball !== undefined
      ? await targets.npm.publish(file, services.npmProvenance)
      : file.distribution === undefined
        ? (await targets.files.publish(release, file)).location
        : finding.state.location
  const ref = (key: string): AttestationRef | undefined => {
    const found = held.get(key)
    return found === undefined
      ? undefined
      : { location: targets.recordLocation(found.location), digest: found.digest }
  }
  const signature = ref('signature')!
  const sbom = ref('sbom')
  const spdx = ref('spdx')
  const prov = ref('provenance')
  const recorded: RecordedArtifact = {
    kind: file.kind,
    name: file.name,
    project: release.project.name,
    version: release.version,
    ...(file.platform ? { platform: file.platform } : {}),
    digest: file.digest,
    size: file.size,
    locations: [targets.recordLocation(location)],
    signature,
    ...(sbom ? { sbom } : {}),
    ...(spdx ? { spdx } : {}),
    ...(prov ? { provenance: prov } : {}),
  }
  return recorded
}

/** Attaches a stored manifest's attestations, then points the tags at it: tags last. */
async function publishOci(
  store: OciStore,
  content: ManifestContent,
  tags: readonly { readonly tag: string; readonly moving: boolean }[],
  attest: { sbom: SbomInput; provenance: Statement; epoch: number },
  artifact: Pick<RecordedArtifact, 'kind' | 'name' | 'project' | 'version'>,
  services: PublishServices,
): Promise<RecordedArtifact> {
  const descriptor = descriptorOf(content)
  const sboms = await sbomsOf(attest.sbom, attest.epoch)
  const attested = await attestImage(descriptor, attestationStore(store), services.signer, {
    sbom: sboms.cyclonedx,
    spdx: sboms.spdx,
    provenance: attest.provenance,
    created: new Date(attest.epoch * 1000),
  })
  for (const { tag, moving } of tags) {
    const outcome = await store.putManifest(content, { tag, moveTag: moving })
    if (outcome.status === 'conflict') {
      throw new ReleaseError(
        'RELEASE_CONFLICT',
        `${store.location}:${tag} points at ${outcome.existing}, not ${descriptor.digest}: it was free or held this artifact when this release checked it, so something else wrote it since`,
        {
          hint: 'another process wrote this tag after the check (no two artifacts of this release share it): re-run, which reports what the destination holds now',
        },
      )
    }
  }
  const ref = (r: AttestationRef | undefined) =>
    r === undefined ? undefined : { location: services.targets.recordLocation(r.location), digest: r.digest }
  const sbom = ref(attested.sbom)
  const spdx = ref(attested.spdx)
  const provenance = ref(attested.provenance)
  return {
    ...artifact,
    digest: descriptor.digest,
    size: descriptor.size,
    mediaType: descriptor.mediaType,
    locations: [services.targets.recordLocation(`${store.location}@${descriptor.digest}`)],
    signature: ref(attested.signature)!,
    ...(sbom ? { sbom } : {}),
    ...(spdx ? { spdx } : {}),
    ...(provenance ? { provenance } : {}),
  }
}

/**
 * Publishes one project: files with their attestations, wheels to their index, the image
 * and the chart by digest with their referrers, tags last, then the GitHub release.
 * Returns what the release record lists for it.
 */
export async function publishProject(
  release: ProjectRelease,
  findings: readonly Finding[],
  services: PublishServices,
): Promise<RecordedArtifact[]> {
  const { targets, context } = services
  const provenance = projectProvenance(release, services)
  const recorded: RecordedArtifact[] = []
  const findingOf = (name: string) =>
    findings.find((f) => f.project === release.project.name && f.artifact === name)!
  for (const file of release.files)
    recorded.push(await publishFile(release, file, findingOf(file.name), provenance, services))
  const dists = release.files.filter((f) => f.distribution !== undefined)
  if (dists.length > 0) {
    const index = targets.wheelIndex()
    const distributions = dists.map((f) => f.distribution!)
    const outcomes = await publishDistributions(distributions, index, {
      reporter: context.reporter,
      ...(services.uploadAttester === undefined ? {} : { attester: services.uploadAttester }),
    })
    const unsent = outcomes.find((o) => o.status === 'published' && o.attestations?.status === 'not-sent')
    // said for PyPI, which takes them: other indexes never do
    if (
      index.attestations !== undefined &&
      isPypi(index.url) &&
      unsent?.status === 'published' &&
      unsent.attestations?.status === 'not-sent'
    )
      context.reporter.emit({
        type: 'log',
        level: 'info',
        message: `${release.project.name}: no PEP 740 attestations sent to ${index.url}: ${unsent.attestations.reason}`,
      })
    // Asked again: an upload answers with the project page, the index's listing with the file's own URL.
    const held = await index.held(
      normalizeName(distributions[0]!.name),
      distributions.map((d) => d.filename),
    )
    for (const [filename, file] of held) {
      const entry = recorded.findIndex((r) => r.name === filename)
      if (entry >= 0)
        recorded[entry] = { ...recorded[entry]!, locations: [targets.recordLocation(file.location)] }
    }
  }
  const project = { project: release.project.name, version: release.version }
  if (release.image !== undefined) {
    const { image } = release
    const store = targets.imageStore(image.repository)
    await publishImage(image.built, store, { reporter: context.reporter })
    const name = publishedRepository(context.destinations.images, image.repository)
    const attest = { sbom: image.sbom, provenance, epoch: context.stampOf(release.project).epoch }
    recorded.push(
      await publishOci(
        store,
        image.built.index.content,
        image.tags,
        attest,
        { kind: 'image-index', name, ...project },
        services,
      ),
    )
  }
  if (release.chart !== undefined) {
    const { chart } = release.chart
    const store = targets.chartStore(chart.name)
    const manifest = chartManifest(chart)
    const { config, chart: layer } = manifest
    await Promise.all([store.pushBlob(config, config.bytes), store.pushBlob(layer, { path: layer.path })])
    await store.putManifest(manifest.content)
    const name = publishedRepository(context.destinations.charts, chart.name)
    const tags = [{ tag: versionTag(chart.version), moving: false }]
    const attest = { sbom: release.chart.sbom, provenance, epoch: context.stampOf(release.project).epoch }
    recorded.push(
      await publishOci(store, manifest.content, tags, attest, { kind: 'chart', name, ...project }, services),
    )
  }
  if (services.gpg !== undefined)
    recorded.push(...(await publishGpgSignatures(release, services.gpg, findings, targets)))
  await targets.files.finish(release)
  return recorded
}
