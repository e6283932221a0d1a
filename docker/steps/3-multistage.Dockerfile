# Step 3 of the benchmark's progression: multi-stage. The project's Dockerfile without cache mounts.
#
#   docker build -f docker/steps/3-multistage.Dockerfile -t eblog:multistage .
#
# Changed from step 2: three stages, named as in the article. `tooling` and `builder` hold the
# installer, the tools' dependencies and the tools, and run the render; `run` starts again from
# the slim base and copies over only the server's runtime venv (the `serve` group, compiled,
# extension modules stripped), the server code and assets.zip. The run stage also gets what a
# production image wants: a non-root user, a HEALTHCHECK, no pip. Stages also take the tests off
# the image's path: `test` (`docker build --target test`) runs them, and no stage of the image
# waits for it; `server` compiles the server on the bare base, so a server edit reruns neither
# the installs nor the render.
# What the article says it buys: the image shrinks to the base plus a few MB (no compiler, git,
# -dev libraries, installer, caches, render or test packages), and an article edit ships one
# small layer. Not yet bought: a changed lock reinstalls with an empty installer cache, so every
# package is downloaded again (step 4's cache mounts).
#
# Step 4 is the project's Dockerfile itself: it differs from this file only in its RUN
# instructions' `--mount=type=cache` (and the cleanups those mounts make unneeded), and in what
# it adds for step 5 (the minimal-tree and minimal-base stages, and `run` starting from the base
# VARIANT names), which tests/docker/test_docker_steps.py checks. Its context: the project's
# .dockerignore.

# One base for every stage: a venv records the path of its interpreter, so the serve venv built
# in `tooling` runs unchanged in `run`.
ARG PYTHON_IMAGE=python:3.13-slim-trixie

# ---------------------------------------------------------------------------------------------------
# tooling: what changes only when the lock or the tools change.
FROM ${PYTHON_IMAGE} AS tooling

# uv uses the base's interpreter and never downloads one; it copies files out of its cache (kept
# as in step 4, where the cache is another file system, so that the two differ only in mounts).
ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_PROGRESS=1

# `strip` (binutils), for the extension modules' debug info. Without a cache mount, the apt lists
# must be removed in the same RUN, or they stay in the layer.
# DL3008 (pin apt versions) is ignored: binutils never reaches the final image, and a pinned Debian
# version vanishes from the mirror at the next point release, which would break the build.
# hadolint ignore=DL3008
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && rm -rf /var/lib/apt/lists/*

# The installer, pinned to a version and its wheel hashes, in a venv of its own; pip keeps no cache.
RUN --mount=type=bind,source=docker/uv-requirements.txt,target=/tmp/uv-requirements.txt \
    python -m venv /opt/uv \
    && /opt/uv/bin/pip install --quiet --no-cache-dir --require-hashes --only-binary :all: -r /tmp/uv-requirements.txt

# Where the project's files go in the build stages (the tests and tools expect the repository layout).
WORKDIR /src

# The dependency files alone, before any source: a code or article edit leaves the installs cached.
COPY pyproject.toml uv.lock ./

# The server's runtime dependencies only (the `serve` group), frozen to the lock, compiled,
# extension modules stripped: what `run` ships. uv's cache is in this layer (a stage `run` never
# copies), and starts empty whenever the lock changes.
RUN UV_PROJECT_ENVIRONMENT=/opt/serve /opt/uv/bin/uv sync --frozen --no-install-project --only-group serve --compile-bytecode \
    && find /opt/serve -name '*.so' -exec strip --strip-unneeded {} +

# What the tools need (the `render` group), compiled to bytecode once; the test packages are `test`'s.
RUN UV_PROJECT_ENVIRONMENT=/opt/build /opt/uv/bin/uv sync --frozen --no-install-project --only-group render --compile-bytecode

# The build venv first on PATH, so `python` below is the one with the tools' dependencies.
ENV PATH=/opt/build/bin:$PATH

# The tools: they change less often than the server or the articles.
COPY cmd/ cmd/

# Their bytecode, compiled once per change of the tools.
RUN python -m compileall -q cmd

# ---------------------------------------------------------------------------------------------------
# test: the test suite, as a target of its own (`docker build --target test`); the image never waits for it.
FROM tooling AS test

# The test and lint packages on top of the tools' venv (the `dev` group), only here.
RUN UV_PROJECT_ENVIRONMENT=/opt/build /opt/uv/bin/uv sync --frozen --no-install-project --only-group dev --compile-bytecode

# The helpers the tests share with bench/ and docker/minimal (the sample site, the server as a
# process, ports): they change less often than the tests.
COPY testing/ testing/
# The tests, then the code they test: from least to most often changed.
COPY tests/ tests/
# The server code last: an edit to it reruns only the test run below.
COPY server/ server/

# The fast tests (as in step 2's selection): a failing test fails this target.
RUN PYTHONDONTWRITEBYTECODE=1 python -m pytest -q -p no:cacheprovider -m "not docker and not articles and not slow and not browser"

# ---------------------------------------------------------------------------------------------------
# builder: the articles become assets.zip, with the tools; of the server, only the module they import.
FROM tooling AS builder

# The one server module the tools import (server/version.py, for their --version), alone: an edit
# to the rest of the server leaves this layer, and the render after it, cached.
COPY server/__init__.py server/version.py server/

# The articles, the most often changed input: only the layers from here on rerun after an edit.
COPY articles/ articles/

# prezip's one timestamp, the server's Last-Modified (unset: none); e.g. the commit's time.
ARG SOURCE_DATE_EPOCH
# The site's address for the feeds and the sitemap (unset: site.toml's, else http://localhost:8080).
ARG EBLOG_BASE_URL

# The site, zipped deterministically, so the same articles give the same bytes.
RUN python -m cmd.rendermd articles /tmp/site \
    && python -m cmd.buildindex /tmp/site \
    && mkdir -p /out \
    && python -m cmd.prezip /tmp/site -o /out/assets.zip

# ---------------------------------------------------------------------------------------------------
# server: the server's code and its bytecode, on the bare base: neither the lock nor the tools touch it.
FROM ${PYTHON_IMAGE} AS server

# The code, where `run` has it.
COPY server/ /app/server/

# Its bytecode (unchecked-hash: never re-checked against the source in an immutable image).
RUN python -m compileall -q --invalidation-mode unchecked-hash /app/server

# ---------------------------------------------------------------------------------------------------
# commit: the commit, in a stage of its own so an article edit does not rerun it.
FROM ${PYTHON_IMAGE} AS commit

# What reads the commit from git's files (no git in the image).
COPY docker/commit.py /tmp/
# HEAD, and packed-refs where git has packed the branch (the globs copy nothing where absent).
COPY .gi[t]/HEA[D] .gi[t]/packed-ref[s] /tmp/git/
# The branches' loose refs.
COPY .gi[t]/refs/head[s]/ /tmp/git/refs/heads/

# SOURCE_COMMIT, when given, wins over .git.
ARG SOURCE_COMMIT
# The last line of the stage: the commit, or "unknown".
RUN mkdir /out && python /tmp/commit.py /tmp/git >/out/commit.txt

# ---------------------------------------------------------------------------------------------------
# run-base: the slim base, an unprivileged user, and the serve venv. No uv, no compiler, no render
# or test packages.
FROM ${PYTHON_IMAGE} AS run-base

# An unprivileged user to run as; the base's pip goes (nothing is installed at run time).
RUN groupadd --gid 10001 eblog \
    && useradd --no-log-init --uid 10001 --gid eblog --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin eblog \
    && rm -rf /usr/local/bin/pip* /usr/local/lib/python3*/site-packages/pip /usr/local/lib/python3*/site-packages/pip-*.dist-info

# The serve venv first on PATH; no bytecode written at run time; logs reach `docker logs` at once.
ENV PATH=/opt/serve/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The serve venv (changes with the lock).
COPY --from=tooling /opt/serve /opt/serve

# ---------------------------------------------------------------------------------------------------
# run: the served image. (Step 4's Dockerfile starts it from `${VARIANT}-base`, to add step 5.)
FROM run-base AS run

# `python -m server` imports the package from the working directory.
WORKDIR /app

# Numeric user, so runAsNonRoot can tell it is not root without reading /etc/passwd.
USER 10001:10001
# The server's default port (PORT overrides it).
EXPOSE 8080
# Exec form through the interpreter (docker/healthcheck.py): no curl, and no shell is needed.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["python", "healthcheck.py"]
# Exec form: the server is PID 1 and gets SIGTERM from `docker stop` directly.
ENTRYPOINT ["python", "-m", "server"]

# The content, from least to most often changed, so an edit reships only the layers after its own.
# The HEALTHCHECK's script (changes almost never).
COPY docker/healthcheck.py healthcheck.py
# The server code with its bytecode (changes with the code).
COPY --from=server /app/server/ server/
# The commit (changes with every commit).
COPY --from=commit /out/commit.txt server/commit.txt
# The site (changes with every article edit): the last layer, so that is all an edit ships.
COPY --from=builder /out/assets.zip server/assets.zip
