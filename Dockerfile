# eblog: Markdown articles -> one deterministic assets.zip -> a small image that serves it from memory.
#
#   docker build -t eblog .            BuildKit is required (Docker 20.10+: DOCKER_BUILDKIT=1, or buildx)
#   docker run --rm -p 8080:8080 eblog
#   docker build --build-arg VARIANT=minimal -t eblog:minimal .    the same server on an empty base
#
#   docker build --target test .       the test suite, in a stage the image does not wait for
#
# Three stages, named as in the article: `tooling` (interpreter, installer, dependencies, the tools),
# `builder` (articles -> assets.zip), `run` (only what serving needs); beside them, `test` (the test
# suite), `server` (the server's bytecode) and `commit`, which nothing on the image's path waits
# for without need; and a further step past the article's: `minimal-tree` and `minimal-base`, the
# server on an empty base. `run` stays last, so a plain build gives the image; VARIANT picks the
# base it starts from, so both images share one definition of how the server runs. There is no
# `# syntax=` line on purpose: the Dockerfile frontend built into the engine is used, so the build
# pulls no frontend image.

# One base for every stage: a venv records the path of its interpreter, so the server's venv built
# in `tooling` runs unchanged in `run`. Swap it with --build-arg (the benchmarks do); never `latest`.
ARG PYTHON_IMAGE=python:3.13-slim-trixie
# The base of the served image: `run` (the slim Python base) or `minimal` (the traced tree on scratch).
ARG VARIANT=run

# ---------------------------------------------------------------------------------------------------
# tooling: everything that changes only when the lock or the tools change, so it is almost always cached.
FROM ${PYTHON_IMAGE} AS tooling

# uv uses the base's interpreter and never downloads one; the cache mount is another file system,
# so uv copies instead of hard-linking (and says nothing about it).
ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_PROGRESS=1

# First because it never changes: `strip` (binutils) removes the debug info that some wheels ship in
# their extension modules (uvloop's is 13 MB with it, 1.6 MB without), as Go's -ldflags="-s -w" does.
# The apt lists and cache live in cache mounts, so no index file lands in a layer; Debian's
# docker-clean hook is removed so the downloaded .debs stay in that cache for the next cold build.
# DL3008 (pin apt versions) is ignored: binutils never reaches the final image, and a pinned Debian
# version vanishes from the mirror at the next point release, which would break the build.
# hadolint ignore=DL3008
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends binutils >/dev/null

# The installer, pinned to a version and its wheel hashes, in a venv of its own that never leaves
# this stage; the requirements file is bind-mounted (no layer) and pip's cache is a cache mount.
RUN --mount=type=bind,source=docker/uv-requirements.txt,target=/tmp/uv-requirements.txt \
    --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/uv \
    && /opt/uv/bin/pip install --quiet --require-hashes --only-binary :all: -r /tmp/uv-requirements.txt

# Where the project's files go in the build stages (the tests and tools expect the repository layout).
WORKDIR /src

# The dependency files alone, before any source (go.mod/go.sum in the article): a code or article
# edit leaves the install layers below cached.
COPY pyproject.toml uv.lock ./

# The server's runtime dependencies only (the `serve` group), --frozen to the lock (never re-resolved,
# hashes checked), compiled to bytecode so the container starts fast, extension modules stripped.
# This venv is what `run` ships. uv's cache is a cache mount: a changed lock downloads only what
# changed, and no layer keeps it.
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/opt/serve /opt/uv/bin/uv sync --frozen --no-install-project --only-group serve --compile-bytecode \
    && find /opt/serve -name '*.so' -exec strip --strip-unneeded {} +

# What the tools need (the `render` group: pyromark, Jinja2, Pygments, PyYAML), and nothing the
# tests or the linters need: a lock change reinstalls and recompiles only this on the image's path.
# Compiled to bytecode too: every later RUN starts from this layer, and would otherwise compile
# Pygments and Jinja2 again on each build (about half of an article rebuild).
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/opt/build /opt/uv/bin/uv sync --frozen --no-install-project --only-group render --compile-bytecode

# The build venv first on PATH, so `python` below is the one with the tools' dependencies.
ENV PATH=/opt/build/bin:$PATH

# The tools (rendermd, buildindex, prezip): they change less often than the server or the articles.
COPY cmd/ cmd/

# Their bytecode, for the same reason as the build venv's: compiled once per change of the tools.
RUN python -m compileall -q cmd

# ---------------------------------------------------------------------------------------------------
# test: the test suite, a target of its own (`docker build --target test .`, which CI runs beside
# the image build). No stage of the image copies from it, so BuildKit never builds it for the image:
# a server edit no longer waits half a minute for the tests before its image exists. Run inside
# the build, they cost a server edit 31.7 of its 32.2 s and a lock change as much (the build
# benchmark's logs, bench/results/docker_build-logs/). A failing test fails this target.
FROM tooling AS test

# The test and lint packages on top of the tools' venv (the `dev` group), only here.
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/opt/build /opt/uv/bin/uv sync --frozen --no-install-project --only-group dev --compile-bytecode

# The helpers the tests share with bench/ and docker/minimal (the sample site, the server as a
# process, ports): they change less often than the tests.
COPY testing/ testing/
# The tests, then the code they test: from least to most often changed.
COPY tests/ tests/
# The server code last: an edit to it reruns only the test run below.
COPY server/ server/

# Left out: the Docker tests (no engine in here; .dockerignore keeps them out of the context), the
# tests marked `articles` (they read articles/, which this stage has no need to copy), and those
# marked `slow` and `browser` (real servers, load, Chromium): CI runs all of them outside. No
# bytecode or pytest cache written: nothing here is kept.
RUN PYTHONDONTWRITEBYTECODE=1 python -m pytest -q -p no:cacheprovider -m "not docker and not articles and not slow and not browser"

# ---------------------------------------------------------------------------------------------------
# builder: the articles become assets.zip. It needs the tools, not the server (but for the one
# module below): a server edit does not rerun it.
FROM tooling AS builder

# The one server module the tools import (server/version.py, for their --version), alone: an edit
# to the rest of the server leaves this layer, and the render after it, cached.
COPY server/__init__.py server/version.py server/

# The articles, the most often changed input: only the layers from here on rerun after an edit.
COPY articles/ articles/

# The one timestamp prezip gives every zip entry, which the server sends as Last-Modified. Unset by
# default (the zip epoch, and no Last-Modified). Pass `--build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`.
# The site's address, for the absolute URLs of the feeds and the sitemap (buildindex reads it; else
# articles/site.toml's base_url, else http://localhost:8080, and the build warns). Both declared
# here, after the articles' COPY, so a new value reruns only the render.
ARG SOURCE_DATE_EPOCH
ARG EBLOG_BASE_URL

# The site, zipped deterministically (sorted entries, fixed times), so the same articles give the
# same bytes and `run`'s last COPY stays cached when nothing really changed. The site folder is a
# cache mount: the tools are incremental, so after an article edit only that article is rendered
# (and only its page compressed), and their output is the same bytes as a clean build's. The mount
# outlives this build and is shared by every build on the engine, so it is trusted only for the
# same list of files under articles/: when an article is added, deleted or renamed, the render
# starts from an empty site, and no page of a deleted article can reach the zip, whatever state an
# earlier build (another checkout, another version of the tools, a build that died) left there.
RUN --mount=type=cache,id=eblog-site,target=/tmp/site,sharing=locked \
    LC_ALL=C ls -R articles >/tmp/articles.list \
    && if ! cmp -s /tmp/articles.list /tmp/site/.articles.list; then find /tmp/site -mindepth 1 -delete; fi \
    && python -m cmd.rendermd articles /tmp/site \
    && cp /tmp/articles.list /tmp/site/.articles.list \
    && python -m cmd.buildindex /tmp/site \
    && if grep -q '<loc>http://localhost:8080/' /tmp/site/sitemap.xml; then \
        echo "eblog: warning: the feeds and sitemap point to http://localhost:8080; build with --build-arg EBLOG_BASE_URL=https://your.site (or set base_url in articles/site.toml)" >&2; fi \
    && mkdir -p /out \
    && python -m cmd.prezip /tmp/site -o /out/assets.zip

# ---------------------------------------------------------------------------------------------------
# server: the server's code and its bytecode, on the bare base: it depends neither on the lock nor
# on the tools, so a server edit reruns this stage and the image's last layers, and nothing else.
FROM ${PYTHON_IMAGE} AS server

# The code, where `run` has it.
COPY server/ /app/server/

# Its bytecode, compiled once here and shipped: "unchecked-hash" pycs do not depend on file times
# and are never re-checked against the source, which is right in an immutable image.
RUN python -m compileall -q --invalidation-mode unchecked-hash /app/server

# ---------------------------------------------------------------------------------------------------
# commit: the commit the image is built from, read from git's files without installing git.
# A stage of its own beside builder: an article edit does not rerun it, a new commit reruns only it.
FROM ${PYTHON_IMAGE} AS commit

# What docker/commit.py reads: HEAD, and the branch it names (a loose ref, or packed-refs). The
# [t], [D], [s] globs make each COPY copy nothing, instead of failing, where a file is absent (a
# source tarball; a worktree, whose .git is a file): the commit is then "unknown".
COPY docker/commit.py /tmp/
COPY .gi[t]/HEA[D] .gi[t]/packed-ref[s] /tmp/git/
COPY .gi[t]/refs/head[s]/ /tmp/git/refs/heads/

# SOURCE_COMMIT, when given (`--build-arg SOURCE_COMMIT=$(git rev-parse HEAD)`), wins over .git.
ARG SOURCE_COMMIT
RUN mkdir /out && python /tmp/commit.py /tmp/git >/out/commit.txt

# ---------------------------------------------------------------------------------------------------
# minimal-tree: the minimal image's files, computed from what the server really loads, then proven.
# Only VARIANT=minimal builds it: BuildKit builds the stages a target needs and skips the rest,
# so a plain `docker build .` (the `run` stage, last in this file) never spends time here.
FROM tooling AS minimal-tree

# The scripts that trace, assemble and check the tree, and the sample site the server tests use
# (testing/server_sample.py, with the port helper smoke.py takes from testing/ too): they change
# less often than the server code, so they come before it.
COPY docker/minimal/ docker/minimal/
COPY docker/healthcheck.py /app/
COPY testing/ports.py testing/server_sample.py testing/__init__.py testing/

# The server exactly as both images ship it (compiled in `server`), where they have it. COPY
# --from is cached by the bytes copied: an article edit reruns builder's last steps, not this stage.
COPY --from=server /app/server/ /app/server/

# 1. Trace: start the server from /app as the image does, on a sample site, and ask for every
#    kind of answer (each route, gzip, HEAD, 304, 206, 416, 301, 404, 405, 400, 412, bytes that
#    are not HTTP, a WebSocket upgrade, /healthz); run the HEALTHCHECK (healthcheck.py), SIGTERM,
#    the command-line errors and the allow-listed lazy imports (docker/minimal/lazy-modules.txt).
#    Each process records its sys.modules and the shared objects it mapped.
# 2. Assemble /minimal from that record (docker/minimal/tree.py): the interpreter, the libraries
#    ldd finds for it and for the extension modules, the traced standard library as bytecode, the
#    traced modules of the serve venv, passwd and group; `ssl` is a stand-in without OpenSSL
#    (docker/minimal/nossl.py: the server speaks plain HTTP). No hand-kept file list.
# 3. Verify: the same requests and checks again, the server chrooted into /minimal as uid 10001,
#    so it can use nothing outside the tree; a module the trace missed fails the build here.
# One RUN: the trace is an input of the tree, not something to keep in a layer.
RUN python docker/minimal/smoke.py trace /tmp/trace.txt \
    && /opt/serve/bin/python docker/minimal/tree.py /tmp/trace.txt /minimal \
    && python docker/minimal/smoke.py verify /minimal \
    && rm /tmp/trace.txt

# ---------------------------------------------------------------------------------------------------
# minimal-base: `--build-arg VARIANT=minimal` -- the tree above on an empty base. No shell, no
# package manager, no Debian: about a fifth of the slim image.
FROM scratch AS minimal-base

# As in run-base, and the values docker/minimal/image.py holds (the verify step ran with them; the
# Docker test checks both agree): `python` from the tree, the serve packages on sys.path (the
# tree has no venv: a bare directory needs no pyvenv.cfg nor interpreter links), no bytecode
# written at run time, logs unbuffered, UTF-8 (glibc's built-in C.UTF-8: no locale files).
ENV PATH=/usr/local/bin:/usr/bin \
    PYTHONPATH=/opt/serve/packages \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8

# The tree (changes with the lock, the base or what the server imports): one layer, and the same
# bytes after a server edit that imports nothing new, so that layer stays cached. The tree's
# /etc/passwd names user 10001 for tools (there is no useradd here).
COPY --from=minimal-tree /minimal/ /

# ---------------------------------------------------------------------------------------------------
# run-base: the slim base, an unprivileged user, and the serve venv. No uv, no compiler, no render
# or test packages.
FROM ${PYTHON_IMAGE} AS run-base

# An unprivileged user to run as. The base's pip goes too: nothing is installed at run time, and
# pip is the one package manager the image would otherwise keep (its removal hides it; the base
# layer's bytes are shared with every image on that base anyway).
RUN groupadd --gid 10001 eblog \
    && useradd --no-log-init --uid 10001 --gid eblog --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin eblog \
    && rm -rf /usr/local/bin/pip* /usr/local/lib/python3*/site-packages/pip /usr/local/lib/python3*/site-packages/pip-*.dist-info

# The serve venv first on PATH; no bytecode written at run time (the code is compiled and read-only);
# logs reach `docker logs` at once.
ENV PATH=/opt/serve/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# CA certificates: the article installs them after copying the application; here the Python base
# already carries Debian's ca-certificates, and the server makes no outgoing TLS connection, so
# there is nothing to add.

# The serve venv (changes with the lock): starlette, uvicorn and theirs, compiled and stripped.
COPY --from=tooling /opt/serve /opt/serve

# ---------------------------------------------------------------------------------------------------
# run: the served image, on the base VARIANT names. Written once for both images: same port, user,
# HEALTHCHECK, entry point and content layers.
FROM ${VARIANT}-base AS run

# `python -m server` imports the package from the working directory.
WORKDIR /app

# Metadata before the content layers: it costs no layer and changes rarely.
# Root owns the code and data, the server only reads them. Numeric, so the host and Kubernetes'
# runAsNonRoot can tell it is not root without reading the image's /etc/passwd.
USER 10001:10001
# The server's default port (PORT overrides it); documentation for `docker run -P` and readers.
EXPOSE 8080
# Exec form through the interpreter (docker/healthcheck.py): no curl, and no shell is needed.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["python", "healthcheck.py"]
# Exec form: the server is PID 1 and gets SIGTERM from `docker stop` directly, no shell in between.
ENTRYPOINT ["python", "-m", "server"]

# The content, from least to most often changed, so an edit reships only the layers after its own.
# COPY --from layers are cached by the bytes copied, so a stage that reran with the same result
# still gives a cached layer here.
# 1. The HEALTHCHECK's script (changes almost never).
COPY docker/healthcheck.py healthcheck.py
# 2. The server code with its bytecode (changes with the code).
COPY --from=server /app/server/ server/
# 3. The commit (changes with every commit; a few bytes).
COPY --from=commit /out/commit.txt server/commit.txt
# 4. The site (changes with every article edit): the last layer, so that is all an edit ships.
COPY --from=builder /out/assets.zip server/assets.zip
