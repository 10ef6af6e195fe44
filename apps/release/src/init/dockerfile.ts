import { dirOf } from './project.ts'

/** Dockerfile, Containerfile, Dockerfile.<variant>, <variant>.Dockerfile. */
export function isDockerfile(path: string): boolean {
  const name = path.split('/').at(-1)!
  return /^(Dockerfile|Containerfile)(\..+)?$/.test(name) || name.endsWith('.Dockerfile')
}

/** The Dockerfiles of a file list, by directory. */
export function dockerfilesByDir(files: readonly string[]): Map<string, string[]> {
  const byDir = new Map<string, string[]>()
  for (const file of files.filter(isDockerfile))
    byDir.set(dirOf(file), [...(byDir.get(dirOf(file)) ?? []), file])
  return byDir
}

/** The TCP ports a Dockerfile EXPOSEs (`EXPOSE 8080 9090/tcp`; variables and UDP left out). */
export function exposedPorts(text: string): number[] {
  const ports = new Set<number>()
  for (const match of text.matchAll(/^\s*EXPOSE\s+(.+)$/gim)) {
    for (const word of match[1]!.trim().split(/\s+/)) {
      const port = /^(\d+)(\/tcp)?$/i.exec(word)
      const number = port === null ? 0 : Number(port[1])
      if (number >= 1 && number <= 65535) ports.add(number)
    }
  }
  return [...ports].sort((a, b) => a - b)
}
