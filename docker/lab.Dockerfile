# The lab image: the kit's Python image plus the fixtures a lesson or an attack needs to show a
# control at work. Only the lessons and the attack matrix run it; the server and run()'s default
# never do, so no visitor's program ever meets these files.
#
# Fixture: a setuid-root copy of `id`. It only prints identities, so it is harmless in itself,
# and it gives the no_new_privileges lesson something real to exec: with the flag on it prints
# the runner's uid, with it off it prints euid=0(root).
ARG BASE_IMAGE=safe-python:latest
FROM ${BASE_IMAGE}

ARG KIT_IMAGE_VERSION=unknown
LABEL org.safe-python.image-version="${KIT_IMAGE_VERSION}"

USER root
RUN mkdir -p /opt/lab \
 && cp /usr/bin/id /opt/lab/setuid-id \
 && chown root:root /opt/lab/setuid-id \
 && chmod 4755 /opt/lab/setuid-id
USER runner
