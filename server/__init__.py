"""eblog's server: the zipped site, read once into memory and served by Starlette on uvicorn."""

import time

# Boot time in the start-up log line is counted from here: the first line of our code that runs.
BOOT_STARTED = time.perf_counter()
