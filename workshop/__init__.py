"""Driving Docker for the workshop, the build benchmarks and the Docker tests, from one place.

engine: the client and engine scripts/docker-env finds (one wrapper, with the network it needs);
buildlog: what BuildKit's plain progress says about each step; steps: the article's progression;
source: copies of the tree to build, and the commit they are; exercises and bundle: the workshop's
`check` and its `prep`/`load`. `./scripts/workshop` is the command line.
"""
