"""workshop.buildlog on BuildKit's plain log, as lines written here: named stages, a Dockerfile whose
one stage has no name (steps 1 and 2, and an attendee's workshop.Dockerfile), and internal steps."""

from workshop.buildlog import BuildLog, Step

LOG = """#1 [internal] load build definition from workshop.Dockerfile
#1 DONE 0.0s
#5 [ 2/16] WORKDIR /src
#5 CACHED
#8 [ 3/16] RUN pip install uv==0.13.8     && uv sync --frozen
#8 0.512 Collecting uv==0.13.8
#8 DONE 12.1s
#9 [tooling 6/8] RUN python -m compileall -q cmd
#9 CACHED
#10 [10/16] COPY articles/ articles/
#10 DONE 0.1s
"""


def test_steps_of_named_and_unnamed_stages() -> None:
    assert BuildLog(LOG).steps == [
        Step("", 2, "WORKDIR /src", cached=True),
        Step("", 3, "RUN pip install uv==0.13.8     && uv sync --frozen", cached=False),
        Step("tooling", 6, "RUN python -m compileall -q cmd", cached=True),
        Step("", 10, "COPY articles/ articles/", cached=False),
    ]
    assert [s.number for s in BuildLog(LOG).rerun()] == [3, 10]
