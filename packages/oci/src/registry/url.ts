import { isLoopbackHostname } from '@polyship/core'
import { OciError } from '../errors.ts'
import { DOCKER_HUB } from '../reference.ts'

/** The bare host name of `host[:port]` (IPv6 keeps its brackets). */
export function hostName(host: string): string {
  return new URL(`http://${host}`).hostname
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1: the only hosts spoken to over plain HTTP by default. */
export function isLoopback(host: string): boolean {
  return isLoopbackHostname(hostName(host))
}

/** Plain HTTP is allowed for loopback hosts and for hosts listed as insecure. */
export function allowsPlainHttp(host: string, insecureHosts: readonly string[]): boolean {
  return isLoopback(host) || insecureHosts.includes(host) || insecureHosts.includes(hostName(host))
}

/** The API origin of a registry: `https://ghcr.io`, `http://127.0.0.1:5000`; Docker Hub is registry-1.docker.io. */
export function registryOrigin(registry: string, insecureHosts: readonly string[]): string {
  const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry
  return `${allowsPlainHttp(registry, insecureHosts) ? 'http' : 'https'}://${host}`
}

/**
 * Refuses to send anything to `url` over plain HTTP unless its host is loopback or insecure:
 * redirects and token realms come from the server and must not downgrade the connection.
 */
export function checkScheme(url: URL, insecureHosts: readonly string[], what: string): void {
  if (url.protocol === 'https:') return
  if (url.protocol === 'http:' && allowsPlainHttp(url.host, insecureHosts)) return
  throw new OciError(
    'OCI_INSECURE_REFUSED',
    `${what}: refusing to use ${url.protocol}//${url.host} without TLS`,
    {
      hint: `plain HTTP is used only for loopback hosts; if ${url.host} is a trusted registry without TLS, mark it insecure (destination "insecure": true)`,
    },
  )
}

/** URL without query and fragment, for messages: upload URLs carry state tokens in the query. */
export function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname}`
}
