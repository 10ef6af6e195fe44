import { WheelError } from '../errors.ts'
import type { Distribution } from '../inspect/distribution.ts'
import { parseIndexUrl } from './index-url.ts'

const ARCH = '(x86_64|i686|aarch64|armv7l|ppc64|ppc64le|s390x|riscv64)'
/** Platform tags PyPI accepts (warehouse's upload checks); plain `linux_<arch>` is refused except on 32-bit ARM. */
const PYPI_PLATFORMS = [
  /^any$/,
  /^win32$/,
  /^win_(amd64|arm64|ia64)$/,
  /^manylinux1_(x86_64|i686)$/,
  /^manylinux2010_(x86_64|i686)$/,
  /^manylinux2014_(x86_64|i686|aarch64|armv7l|ppc64|ppc64le|s390x)$/,
  new RegExp(`^manylinux_\\d+_\\d+_${ARCH}$`),
  new RegExp(`^musllinux_\\d+_\\d+_${ARCH}$`),
  /^linux_(armv6l|armv7l)$/,
  /^macosx_\d+_\d+_(universal2?|arm64|x86_64|intel|fat3?|fat64|i386|ppc64|ppc)$/,
  /^ios_\d+_\d+_(arm64|x86_64)_(iphoneos|iphonesimulator)$/,
  /^android_\d+_(armeabi_v7a|arm64_v8a|x86|x86_64)$/,
]

/** Whether the index is PyPI or TestPyPI, whose platform-tag rules apply. */
export function isPypi(url: string): boolean {
  return /^(upload\.)?(test\.)?pypi\.org$/.test(parseIndexUrl(url).hostname)
}

/** The platform tags of a wheel that PyPI would refuse (none for an sdist or a portable wheel). */
export function pypiRefusedPlatforms(distribution: Distribution): string[] {
  const platforms = distribution.tags.map((tag) => tag.split('-')[2]!)
  return [...new Set(platforms.filter((platform) => !PYPI_PLATFORMS.some((rule) => rule.test(platform))))]
}

/** Refuses wheels PyPI would reject for their platform tag, before anything is uploaded. */
export function checkPypiPlatformTags(distribution: Distribution, indexUrl: string): void {
  const refused = pypiRefusedPlatforms(distribution)
  if (refused.length > 0) {
    throw new WheelError(
      'WHEEL_PLATFORM_REJECTED',
      `${distribution.filename}: ${indexUrl} refuses the platform tag ${refused.join(', ')}`,
      {
        hint: 'build with a manylinux or musllinux policy: set polyship.wheel.compatibility to manylinux_2_17 (or pypi) in package.json',
      },
    )
  }
}
