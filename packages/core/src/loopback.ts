/**
 * localhost, *.localhost, 127.0.0.0/8 and ::1 (with or without brackets): the only hosts
 * polyship speaks plain HTTP to by default. Takes a URL's `hostname`, without a port.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  )
}
