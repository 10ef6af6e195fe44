import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Files of one pure-Python project, relative to its directory. */
export type ProjectFiles = Readonly<Record<string, string>>

/** A package.json for a Python project released by polyship. */
export function packageJson(name: string, version: string, dependencies: readonly string[] = []): string {
  return `${JSON.stringify(
    {
      name,
      version,
      private: true,
      ...(dependencies.length > 0
        ? { dependencies: Object.fromEntries(dependencies.map((d) => [d, 'workspace:*'])) }
        : {}),
      polyship: { wheel: {} },
    },
    null,
    2,
  )}\n`
}

/** A temp workspace (pnpm-workspace.yaml listing `packages/*`) holding the given projects; returns its root. */
export async function pythonWorkspace(
  prefix: string,
  projects: Readonly<Record<string, ProjectFiles>>,
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `polyship-wheel-${prefix}-`))
  await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n')
  await writeFile(join(root, 'package.json'), '{ "name": "ws", "version": "0.0.0", "private": true }\n')
  for (const [dir, files] of Object.entries(projects)) {
    for (const [path, content] of Object.entries(files)) {
      const file = join(root, 'packages', dir, path)
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, content)
    }
  }
  return root
}

/** hatchling, src layout, version in `src/<module>/__about__.py`. */
export function hatchProject(
  name: string,
  version: string,
  dependencies: readonly string[] = [],
): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["hatchling==1.33.0"]
build-backend = "hatchling.build"

[project]
name = "${name}"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = [${dependencies.map((d) => JSON.stringify(d)).join(', ')}]

[tool.hatch.version]
path = "src/${module}/__about__.py"

[tool.hatch.build.targets.wheel]
packages = ["src/${module}"]
`,
    [`src/${module}/__about__.py`]: `# SPDX-License-Identifier: MIT\n__version__ = "${version}"\n`,
    [`src/${module}/__init__.py`]: `from .__about__ import __version__\n\n\ndef hello() -> str:\n    return "hello from ${name}"\n`,
  }
}

/** setuptools, src layout, `version = { attr = "<module>.__version__" }`. */
export function setuptoolsProject(
  name: string,
  version: string,
  dependencies: readonly string[] = [],
): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["setuptools==84.2.1"]
build-backend = "setuptools.build_meta"

[project]
name = "${name}"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = [${dependencies.map((d) => JSON.stringify(d)).join(', ')}]

[tool.setuptools.dynamic]
version = { attr = "${module}.__version__" }
`,
    [`src/${module}/__init__.py`]: `__version__ = '${version}'\n`,
  }
}

/** flit-core, flat layout, `__version__` in the module (flit's dynamic version). */
export function flitProject(name: string, version: string): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["flit_core==4.2.0"]
build-backend = "flit_core.buildapi"

[project]
name = "${name}"
dynamic = ["version", "description"]
`,
    [`${module}/__init__.py`]: `"""A flit package."""\n\n__version__ = "${version}"\n`,
  }
}

/** pdm-backend, `[tool.pdm.version] source = "file"`. */
export function pdmProject(name: string, version: string): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["pdm-backend==2.5.0"]
build-backend = "pdm.backend"

[project]
name = "${name}"
dynamic = ["version"]

[tool.pdm.version]
source = "file"
path = "src/${module}/__init__.py"
`,
    [`src/${module}/__init__.py`]: `__version__ = "${version}"\n`,
  }
}

/** poetry-core with its own `[tool.poetry]` table (no `[project]` version). */
export function poetryProject(name: string, version: string): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["poetry-core==2.5.0"]
build-backend = "poetry.core.masonry.api"

[project]
name = "${name}"
dynamic = ["version"]

[tool.poetry]
version = "${version}"  # written by polyship version
packages = [{ include = "${module}", from = "src" }]
`,
    [`src/${module}/__init__.py`]: '',
  }
}

/** scikit-build-core: a C extension built by CMake, version by the regex provider. */
export function scikitBuildProject(name: string, version: string): ProjectFiles {
  const module = name.replaceAll('-', '_')
  return {
    'package.json': packageJson(name, version),
    'pyproject.toml': `[build-system]
requires = ["scikit-build-core==1.1.2"]
build-backend = "scikit_build_core.build"

[project]
name = "${name}"
dynamic = ["version"]
requires-python = ">=3.9"

[tool.scikit-build]
wheel.packages = ["src/${module}"]

[tool.scikit-build.metadata.version]
provider = "scikit_build_core.metadata.regex"
input = "src/${module}/__init__.py"
`,
    'CMakeLists.txt': `cmake_minimum_required(VERSION 3.15)
project(\${SKBUILD_PROJECT_NAME} LANGUAGES C)
find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
Python_add_library(_core MODULE src/core.c WITH_SOABI)
install(TARGETS _core DESTINATION ${module})
`,
    'src/core.c': `#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
  long a, b;
  if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
  return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "add"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
`,
    [`src/${module}/__init__.py`]: `__version__ = "${version}"\n\nfrom ._core import add\n`,
  }
}
