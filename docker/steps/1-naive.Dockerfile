# Step 1 of the benchmark's progression: naive. How a Python service's first Dockerfile often looks.
#
#   docker build -f docker/steps/1-naive.Dockerfile -t eblog:naive .
#
# Changed from the previous step: nothing, this is the baseline the other steps are measured
# against. It builds and serves the same site as the project's Dockerfile, with the same tests.
# What the article says it costs: `COPY . .` comes first, so any edit (one word of one article)
# changes that layer and everything after it reruns: every dependency is downloaded and installed
# again, the tests and the render run again. One stage on the full image, so the compilers, git,
# the -dev libraries, the installer and its caches, the test and render packages all ship.
#
# Its context: docker/steps/1-naive.Dockerfile.dockerignore, which BuildKit reads instead of the
# project's allow-list (.dockerignore), so `COPY . .` sees the whole tree as it would here.

# The full (non-slim) image: what a tutorial starts from because "it has everything".
FROM python:3.13-trixie

# The project's files go where the tests and tools expect the repository layout.
WORKDIR /src

# The whole build context at once, before anything is installed: the cache key of every step
# below now depends on every file of the project.
COPY . .

# The installer (pinned: an unpinned one changes under you), then every dependency group, frozen
# to the lock, into /src/.venv. Both leave their download caches in this layer.
# DL3042 (pip --no-cache-dir) is ignored on purpose: the cache left in the image is part of what
# this step shows; step 3 leaves it behind in a build stage.
# hadolint ignore=DL3042
RUN pip install uv==0.13.8 \
    && uv sync --frozen

# The project's venv first on PATH, for the build steps below and for the server at run time.
ENV PATH=/src/.venv/bin:$PATH

# The test suite, as the project's Dockerfile runs it: a failing test fails the build.
RUN python -m pytest -q -p no:cacheprovider -m "not docker and not articles and not slow and not browser"

# The site: rendered, indexed and zipped to where the server loads it by default.
RUN python -m cmd.rendermd articles /tmp/site \
    && python -m cmd.buildindex /tmp/site \
    && python -m cmd.prezip /tmp/site -o server/assets.zip

# The commit the server reports, read from .git (copied with everything else) by docker/commit.py.
RUN python docker/commit.py .git >server/commit.txt

# The server's port, for `docker run -P` and for readers.
EXPOSE 8080

# Exec form (hadolint insists, rightly): the server is PID 1 and gets docker stop's SIGTERM. As root.
CMD ["python", "-m", "server"]
