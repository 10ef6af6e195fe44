import type { WheelConfig } from '@polyship/core'
import type { Toolchain } from './toolchain.ts'

/** What to do about one configured target. */
export type TargetPlan =
  | { readonly status: 'build'; readonly target: string; readonly zig: boolean }
  | { readonly status: 'skipped'; readonly target: string; readonly reason: string }

const MANYLINUX = /^(manylinux_\d+_\d+|manylinux\d+)$/

/**
 * Decides per target whether this machine can build it. `host` is the rustc host triple.
 * Other Linux targets need their Rust std and zig; macOS and Windows need their SDKs and
 * are only built on their own hosts. zig is also used on the host when a manylinux policy
 * is configured, so the wheel links against that glibc instead of the machine's.
 */
export function planTargets(config: WheelConfig, toolchain: Toolchain): TargetPlan[] {
  const targets = [
    ...new Set((config.targets ?? ['host']).map((t) => (t === 'host' ? toolchain.hostTriple : t))),
  ]
  return targets.map((target): TargetPlan => {
    const isHost = target === toolchain.hostTriple
    if (!toolchain.installedTargets.has(target)) {
      return {
        status: 'skipped',
        target,
        reason: `the Rust standard library for ${target} is not installed (rustup target add ${target})`,
      }
    }
    const linux = target.includes('-linux-')
    if (!isHost && !linux) {
      return {
        status: 'skipped',
        target,
        reason: `cross-compiling for ${target} needs its platform SDK; build it on a ${target.includes('apple') ? 'macOS' : 'Windows'} runner`,
      }
    }
    if (!isHost && !toolchain.zig) {
      return {
        status: 'skipped',
        target,
        reason: `cross-linking for ${target} needs zig (pip install ziglang)`,
      }
    }
    const pinGlibc = linux && MANYLINUX.test(config.compatibility ?? '') && target.endsWith('-gnu')
    return { status: 'build', target, zig: linux && toolchain.zig && (!isHost || pinGlibc) }
  })
}
