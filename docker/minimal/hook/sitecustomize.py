"""Record what this process loaded, for the minimal image's file list (tracing runs only).

`site` imports sitecustomize at start-up when it is on sys.path; docker/minimal/smoke.py puts
this directory on PYTHONPATH in its `trace` runs and nowhere else. At exit (a normal end,
sys.exit, or the SIGTERM handler's SystemExit) it appends to $EBLOG_TRACE one line per module
in sys.modules ("module NAME FILE", FILE "-" for built-in ones), one per shared object mapped
into the process ("mapped PATH": extension modules and the libraries they pulled in, dlopen'ed
ones included) and the interpreter ("executable PATH"). Only built-in modules are used here, so
recording adds nothing to what is recorded.
"""

import atexit
import os
import sys


def record() -> None:
    lines = [f"executable {os.path.realpath(sys.executable)}"]
    for name, module in sorted(sys.modules.items()):
        if name != __name__:
            lines.append(f"module {name} {getattr(module, '__file__', None) or '-'}")
    with open("/proc/self/maps") as maps:
        mapped = {line.split(maxsplit=5)[-1].strip() for line in maps if ".so" in line}
    lines += [f"mapped {path}" for path in sorted(mapped) if path.startswith("/")]
    with open(os.environ["EBLOG_TRACE"], "a") as trace:
        trace.write("\n".join(lines) + "\n")


atexit.register(record)
