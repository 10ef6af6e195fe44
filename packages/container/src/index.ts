export { type BaseSpec, DEFAULT_NODE_BASE, DEFAULT_PYTHON_BASE, parseBase } from './base/base-reference.ts'
export { DEFAULT_PYTHON_VERSION, type PythonSettings, pythonSettings } from './base/python.ts'
export { type PlatformBase, type ResolvedBase, resolveBase } from './base/resolve-base.ts'
export { CA_BUNDLE, caBundle, NONROOT_ID, STATIC_ENV, staticBaseEntries } from './base/static-base.ts'
export { type DockerfileBackend, detectBuilder } from './dockerfile/dockerfile-image.ts'
export { ContainerError, type ContainerErrorCode } from './errors.ts'
export type { BuildImageOptions, ImageBuildInput } from './image/assemble.ts'
export { buildImage, imageRepository } from './image/build.ts'
export {
  type BuiltImage,
  type ImageBlob,
  type InstalledPackage,
  imageArtifacts,
  type PlatformManifest,
} from './image/built-image.ts'
export { DEFAULT_PLATFORMS as DEFAULT_IMAGE_PLATFORMS } from './image/settings.ts'
export { type Layer, type LayerEntry, type WriteLayerOptions, writeLayer } from './layer/layer.ts'
export { type NodeEntry, nodeEntry } from './node/entry.ts'
export { isNodeImage, type NodeSettings, nodeSettings } from './node/node-settings.ts'
export {
  type ImagePublishResult,
  type PublishImageOptions,
  publishImage,
  type TagOutcome,
} from './publish/publish.ts'
export { type ImageTag, imageTags, type SkippedTag } from './publish/tags.ts'
export { INSTALLER, installWheel } from './wheel/install.ts'
export {
  exactPythonVersion,
  parseWheelName,
  tagFits,
  type WheelName,
  type WheelTag,
} from './wheel/wheel-tags.ts'
