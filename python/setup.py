"""Build the orcastra package with setuptools, against an installed liborca
(found with pkg-config: the orca.pc that `cmake --install` writes).

Offline, with Debian's setuptools (no download):
    PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pip install --no-build-isolation ./python
The CMake build (python/CMakeLists.txt) builds the same sources without this
file. See docs/python.md."""
import subprocess

from setuptools import Extension, setup


def pkg_config(flag: str) -> list[str]:
    try:
        out = subprocess.run(["pkg-config", flag, "orca"], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("orcastra: pkg-config cannot find liborca (orca.pc): install Orcastra "
                         "with cmake --install and set PKG_CONFIG_PATH=PREFIX/lib/pkgconfig "
                         f"({e})")
    return out.split()


sources = ["module.c", "errors.c", "schema.c", "convert.c", "client.c", "worker.c"]
setup(
    name="orcastra",
    version="0.1.0",
    description="Orcastra tasks from Python, on liborca",
    packages=["orcastra"],
    package_data={"orcastra": ["py.typed", "_core.pyi"]},
    ext_modules=[Extension("orcastra._core", sources=[f"src/{s}" for s in sources],
                           extra_compile_args=["-std=c11"] + pkg_config("--cflags"),
                           extra_link_args=pkg_config("--libs"))],
    python_requires=">=3.11",
)
