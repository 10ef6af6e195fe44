import { rootCertificates } from 'node:tls'
import type { ArchiveEntry } from '@polyship/core'

/** uid and gid of the `nonroot` user of the built-in base (the distroless convention). */
export const NONROOT_ID = 65532

export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

/** Environment of images on the built-in `static` base. */
export const STATIC_ENV: readonly string[] = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  `SSL_CERT_FILE=${CA_BUNDLE}`,
]

const PASSWD = `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT_ID}:${NONROOT_ID}:nonroot:/home/nonroot:/sbin/nologin\n`
const GROUP = `root:x:0:\nnonroot:x:${NONROOT_ID}:\n`
const NSSWITCH =
  'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nservices: files\nprotocols: files\n'

/**
 * The built-in minimal base for static binaries, as archive entries of one layer: root and
 * nonroot (65532) in /etc/passwd and /etc/group, /etc/nsswitch.conf (Go's resolver reads
 * it), a CA bundle from Node's `tls.rootCertificates` (Mozilla's store as bundled with the
 * pinned Node, so the bytes are the same on every machine), /tmp with 1777, and home
 * directories. Nothing is pulled from anywhere.
 */
export function staticBaseEntries(): ArchiveEntry[] {
  return [
    { type: 'directory', path: 'etc', mode: 0o755 },
    { type: 'file', path: 'etc/passwd', content: PASSWD, mode: 0o644 },
    { type: 'file', path: 'etc/group', content: GROUP, mode: 0o644 },
    { type: 'file', path: 'etc/nsswitch.conf', content: NSSWITCH, mode: 0o644 },
    { type: 'directory', path: 'etc/ssl/certs', mode: 0o755 },
    { type: 'file', path: CA_BUNDLE.slice(1), content: caBundle(), mode: 0o644 },
    { type: 'directory', path: 'tmp', mode: 0o1777 },
    { type: 'directory', path: 'root', mode: 0o700 },
    { type: 'directory', path: 'home/nonroot', mode: 0o700, uid: NONROOT_ID, gid: NONROOT_ID },
    { type: 'directory', path: 'usr/local/bin', mode: 0o755 },
  ]
}

/** PEM certificates, one after another, each ending in a newline (the ca-certificates.crt format). */
export function caBundle(): string {
  return rootCertificates.map((pem) => `${pem.trim()}\n`).join('')
}
