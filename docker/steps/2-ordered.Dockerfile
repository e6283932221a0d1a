# Step 2 of the benchmark's progression: ordered. Same image, same single stage as step 1.
#
#   docker build -f docker/steps/2-ordered.Dockerfile -t eblog:ordered .
#
# Changed from step 1: the installer and the dependency files (pyproject.toml, uv.lock) come first
# and are installed before any source is copied, as the article does with go.mod, go.sum and
# `go mod download`; then the source in separate COPYs, from least to most often changed (tools,
# tests, server, articles), with the tests before the articles. No `COPY . .`.
# What the article says it buys: an edit to the code or to an article leaves the dependency layers
# cached, so the everyday rebuild runs only the steps after the changed COPY (an article edit: the
# render). Not yet bought: the image is as big as step 1's (full base, everything installed in it),
# and a changed lock still downloads every package again.
#
# Its context: the project's .dockerignore (an allow-list of what these COPYs name).

# The same full image as step 1.
FROM python:3.13-trixie

# The project's files go where the tests and tools expect the repository layout.
WORKDIR /src

# The installer first: it changes only when its pin does.
# DL3042 (pip --no-cache-dir) is ignored as in step 1: this step changes only the order.
# hadolint ignore=DL3042
RUN pip install uv==0.13.8

# The dependency files alone, so the install below depends on them and on nothing else.
COPY pyproject.toml uv.lock ./

# Every dependency group, frozen to the lock: rerun only when the lock (or pyproject.toml) changes.
RUN uv sync --frozen

# The project's venv first on PATH, for the build steps below and for the server at run time.
ENV PATH=/src/.venv/bin:$PATH

# The tools: they change less often than the server or the articles.
COPY cmd/ cmd/

# The helpers the tests share with bench/ and docker/minimal (testing/: the sample site, the server
# as a process, ports): they change less often than the tests.
COPY testing/ testing/
# The tests, then the server code: both change more often than the tools, less often than articles.
COPY tests/ tests/
# The server code, in its own layer: an edit to it reruns the tests below, not the installs above.
COPY server/ server/
# The test suite, before the articles' COPY, so an article edit does not rerun it.
RUN python -m pytest -q -p no:cacheprovider -m "not docker and not articles and not slow and not browser"

# The articles, the most often changed input: only the steps from here on rerun after an edit.
COPY articles/ articles/

# The site: rendered, indexed and zipped to where the server loads it by default.
RUN python -m cmd.rendermd articles /tmp/site \
    && python -m cmd.buildindex /tmp/site \
    && python -m cmd.prezip /tmp/site -o server/assets.zip

# The commit, read from git's HEAD and branch refs by docker/commit.py (the globs copy nothing
# where a file is absent: the commit is then "unknown").
COPY docker/commit.py /tmp/
# HEAD, and packed-refs where git has packed the branch.
COPY .gi[t]/HEA[D] .gi[t]/packed-ref[s] /tmp/git/
# The branches' loose refs.
COPY .gi[t]/refs/head[s]/ /tmp/git/refs/heads/
# SOURCE_COMMIT, when given, wins over .git.
ARG SOURCE_COMMIT
# The commit the server reports.
RUN python /tmp/commit.py /tmp/git >server/commit.txt

# The server's port, for `docker run -P` and for readers.
EXPOSE 8080

# Exec form: the server is PID 1 and gets docker stop's SIGTERM. Still as root, as in step 1.
CMD ["python", "-m", "server"]
