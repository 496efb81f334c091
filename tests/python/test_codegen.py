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


def test_strings_and_docs_survive_escaping():
    assert pyt_orca.Everything(p=pyt_orca.Point()).tricky == 'q"""b\\c\n\u2603'
    src = open(pyt_orca.__file__, encoding="utf-8").read()
    assert "    #: a backslash \\\\ and a snowman \u2603.\n" in src
