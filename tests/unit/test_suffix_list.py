"""The public suffix list is loaded once per process, on first use, however many request threads
ask for it at the same moment (tldextract itself builds it on every first call that finds it
missing)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.backend_independent

# A fresh process (nothing loaded yet); 16 threads released together each normalise a name, and
# every build of tldextract's suffix trie is counted.
PROBE = """
import threading
import sys
import tldextract.tldextract as library
from mailwright.domains.names import normalize_domain

built = []
original = library._PublicSuffixListTLDExtractor.__init__
def counted(self, *args, **kwargs):
    built.append(1)
    original(self, *args, **kwargs)
library._PublicSuffixListTLDExtractor.__init__ = counted

start = threading.Barrier(16)
answers = []
def normalise(number):
    start.wait()
    answers.append(normalize_domain(f"shop{number}.co.uk"))
threads = [threading.Thread(target=normalise, args=(n,)) for n in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert "tldextract" in sys.modules
print(len(built), sorted(answers)[0], len(answers))
"""


def test_sixteen_threads_at_once_build_the_suffix_list_once():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "shop0.co.uk", "16"]


def test_a_process_that_checks_no_name_never_loads_it():
    probe = "import sys, mailwright.domains.names; print('tldextract' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
