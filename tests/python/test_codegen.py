"""orcac --lang python: the generated modules and the shop example's
producer type-check under mypy --strict, and names that Python reserves are
renamed."""

import os
import shutil
import subprocess
import sys

import pytest

import pyt_orca


def test_python_keywords_become_attributes_with_an_underscore():
    e = pyt_orca.Everything(p=pyt_orca.Point(), from_="x")
    assert e.from_ == "x"
    assert pyt_orca.EchoArgs.__doc__ == "The arguments of task pyt.echo."
    assert pyt_orca.flaky.name == "pyt.flaky" and pyt_orca.flaky.queue == "default"


@pytest.mark.skipif(subprocess.run([sys.executable, "-c", "import mypy"]).returncode != 0,
                    reason="mypy is not installed (apt-get install mypy)")
def test_mypy_strict_accepts_generated_modules_and_the_example(tmp_path):
    gen = os.path.dirname(pyt_orca.__file__)
    src = os.environ["ORCA_SOURCE_DIR"]
    files = [os.path.join(gen, f) for f in ("pyt_orca.py", "pyt_v2_orca.py", "shop_orca.py")]
    files.append(os.path.join(src, "examples", "shop", "producer.py"))
    env = dict(os.environ, MYPYPATH=os.environ["PYTHONPATH"])
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                        "--cache-dir", str(tmp_path), *files],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
